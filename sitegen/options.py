"""What a build is asked to do (the command line's choices), and the build's notion of today."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    drafts: bool = False
    future: bool = False
    today: dt.date = dt.date(1970, 1, 1)
    base_url: str | None = None  # overrides data/site.yaml's base_url (previews, audits)
    fingerprint: bool = True  # content-hashed asset names; the preview keeps plain names so CSS can swap live


def today() -> dt.date:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()
