"""What the shortcuts' self-checks share."""

from __future__ import annotations

import inspect


def _params(func) -> list[str] | None:
    try:
        return list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return None
