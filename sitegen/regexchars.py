"""Which characters a regular expression cannot match without: a cheap, exact test that a search finds nothing.

`necessary(compiled)` returns a set of characters such that every match of the pattern contains at least one of
them, or None when the pattern's syntax tree does not pin one down (an optional or negated part, a category such
as `\\w`, a wide range). When the text contains none of them, the search cannot succeed. The analysis only uses
parts that consume characters inside the match; lookarounds, anchors and back-references give None.
"""

from __future__ import annotations

import functools
import re
from re import _constants as C  # the parsed form `re` itself compiles from (Python 3.11+)
from re import _parser as P

WIDE_RANGE = 64  # a class range wider than this (a-z is 26) is treated as unknown


@functools.lru_cache(maxsize=None)
def _necessary(pattern: str, flags: int) -> frozenset[str] | None:
    try:
        tree = P.parse(pattern, flags)
    except re.error:  # pragma: no cover - it compiled once already
        return None
    found = _sequence(list(tree), bool(tree.state.flags & re.IGNORECASE))
    return frozenset(found) if found is not None else None


def necessary(compiled: re.Pattern) -> frozenset[str] | None:
    if not isinstance(compiled.pattern, str):
        return None
    return _necessary(compiled.pattern, compiled.flags)


def _chars(code: int, ignorecase: bool) -> set[str]:
    ch = chr(code)
    return {ch, ch.lower(), ch.upper(), ch.casefold()} if ignorecase else {ch}


def _sequence(items: list, ignorecase: bool) -> set[str] | None:
    """Every element of a sequence must match, so any one element's set will do: take the smallest."""
    best = None
    for op, av in items:
        found = _item(op, av, ignorecase)
        if found is not None and (best is None or len(found) < len(best)):
            best = found
    return best


def _item(op, av, ignorecase: bool) -> set[str] | None:
    if op is C.LITERAL:
        return _chars(av, ignorecase)
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        inner = (ignorecase or bool(add_flags & re.IGNORECASE)) and not (del_flags & re.IGNORECASE)
        return _sequence(list(sub), inner)
    if op is C.ATOMIC_GROUP:
        return _sequence(list(av), ignorecase)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, _high, sub = av
        return _sequence(list(sub), ignorecase) if low >= 1 else None
    if op is C.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            found = _sequence(list(alternative), ignorecase)
            if found is None:
                return None
            union |= found
        return union
    if op is C.IN:
        union = set()
        for kind, value in av:
            if kind is C.LITERAL:
                union |= _chars(value, ignorecase)
            elif kind is C.RANGE and value[1] - value[0] <= WIDE_RANGE:
                for code in range(value[0], value[1] + 1):
                    union |= _chars(code, ignorecase)
            else:  # NEGATE, CATEGORY, a wide range: anything could match
                return None
        return union
    return None  # ANY, NOT_LITERAL, AT, ASSERT, ASSERT_NOT, GROUPREF, ...
