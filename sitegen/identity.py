"""Identities of values: a text that is equal only for values that behave the same in a template. It keys the
renderer's partial() memo and the shared Pygments objects of mdfast."""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup

from .model import Article


class Uncacheable(Exception):
    """A value whose identity() cannot be told: whatever depends on it is made afresh every time."""


def identity(value: Any) -> str:
    """A text that is equal only for values that behave the same: what keys render's partial() (equal identities
    render equal HTML for one renderer's site, roles and templates) and the shared Pygments objects of mdfast.
    Each value is a type letter and a self-delimiting form (text carries its length), so no two values share one;
    the type counts (True and 1, Markup and str, a list and a tuple render differently), so does order in a dict
    (a loop over it sees it). An article is its key (its path and source bytes) and whether it is complete;  Other types, subclasses included (a namedtuple is not a tuple to a template), raise Uncacheable.
    Text rather than nested tuples: a partial's key is a digest of it, 16 bytes instead of a kilobyte of tuples."""
    kind = type(value)
    if kind is str or kind is Markup:
        return f"{'s' if kind is str else 'm'}{len(value)}:{value}"
    if kind is int or kind is bool or kind is float or value is None:
        return f"{_LETTER[kind]}{value!r};"
    if kind is dict:
        return f"{{{len(value)}:{''.join(identity(k) + identity(v) for k, v in value.items())}"
    if kind is list or kind is tuple:
        return f"{'[' if kind is list else '('}{len(value)}:{''.join(identity(v) for v in value)}"
    if kind is Article:
        return f"A{len(value.key)}:{value.key}{'c' if value.complete else 's'}"
    if kind is dt.date or (kind is dt.datetime and value.tzinfo is None):  # an aware one's %Z would not show
        return f"{'d' if kind is dt.date else 't'}{value.isoformat()};"
    raise Uncacheable(kind.__name__)


_LETTER = {int: "i", bool: "b", float: "f", type(None): "n"}
