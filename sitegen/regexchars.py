"""Which characters a regular expression cannot match without: a cheap, exact test that a search finds nothing.

`necessary(compiled)` returns a set of characters such that every match of the pattern contains at least one of
them, or None when the pattern's syntax tree does not pin one down (an optional or negated part, a category such
as `\\w`, a wide range). When the text contains none of them, the search cannot succeed. The analysis only uses
parts that consume characters inside the match; lookarounds, anchors and back-references give None.

The syntax tree comes from `re._parser` (with `re._constants`), the private parser `re` itself compiles from
(Python 3.11+; `sre_parse` is its deprecated alias). Both are imported under a guard, and at first use a self-check
parses a few known patterns and compares the answers with the known ones: if the modules are missing or their
output has another shape, `necessary()` returns None for every pattern, so nothing is ever skipped (the stock
behaviour of every caller). `AVAILABLE` says which it is, `PROBLEM` why not.
"""

from __future__ import annotations

import functools
import re

try:  # private: guarded, and checked by _self_check() before it is trusted
    from re import _constants as C  # the parsed form `re` itself compiles from (Python 3.11+)
    from re import _parser as P
except ImportError as exc:  # pragma: no cover - depends on the Python release
    C = P = None
    _IMPORT_PROBLEM: str | None = f"re._parser is not importable: {exc}"
else:
    _IMPORT_PROBLEM = None

WIDE_RANGE = 64  # a class range wider than this (a-z is 26) is treated as unknown

# patterns with the answer the analysis gives when the parser's output is what it was written against
KNOWN = (
    (r"\[", 0, {"["}), (r"(?<!\!)\[", 0, {"["}), (r"\*|_", 0, {"*", "_"}), (r"x", re.IGNORECASE, {"x", "X"}),
    (r"a?b", 0, {"b"}), (r"a*", 0, None), (r"[^a]", 0, None), (r"\w+@", 0, {"@"}), (r"[a-c]", 0, {"a", "b", "c"}),
    (r"(?:ab|c)+", 0, {"a", "c"}), (r"(?i:k)", 0, {"k", "K", "\u212a"}), (r"(?>x)y", 0, {"x"}), (r".", 0, None),
)

AVAILABLE: bool | None = None  # None: not checked yet
PROBLEM: str | None = None


def _self_check() -> str | None:
    """None when re._parser's output gives the known answers, else what went wrong."""
    if _IMPORT_PROBLEM is not None:
        return _IMPORT_PROBLEM
    try:
        for pattern, flags, expected in KNOWN:
            found = _analyse(pattern, flags)
            if (set(found) if found is not None else None) != expected:
                return f"re._parser's output for {pattern!r} is not what sitegen was tested with"
    except Exception as exc:  # noqa: BLE001 - another shape of parse tree: anything can fail
        return f"re._parser's output has another shape: {exc!r}"
    return None


def _analyse(pattern: str, flags: int) -> frozenset[str] | None:
    try:
        tree = P.parse(pattern, flags)
    except re.error:  # pragma: no cover - it compiled once already
        return None
    found = _sequence(list(tree), bool(tree.state.flags & re.IGNORECASE))
    return frozenset(found) if found is not None else None


@functools.lru_cache(maxsize=None)
def _necessary(pattern: str, flags: int) -> frozenset[str] | None:
    global AVAILABLE, PROBLEM
    if AVAILABLE is None:
        PROBLEM = _self_check()
        AVAILABLE = PROBLEM is None
    if not AVAILABLE:
        return None
    try:
        return _analyse(pattern, flags)
    except Exception:  # noqa: BLE001 - a shape the self-check did not meet: no claim about this pattern
        return None


def necessary(compiled: re.Pattern) -> frozenset[str] | None:
    if not isinstance(compiled.pattern, str):
        return None
    return _necessary(compiled.pattern, compiled.flags)


def reset() -> None:
    """Forget the self-check and every answer (tests)."""
    global AVAILABLE, PROBLEM
    AVAILABLE = PROBLEM = None
    _necessary.cache_clear()


# Beyond ASCII case, what an ASCII letter matches under re.IGNORECASE (every code point, checked by
# tests/test_regexchars.py): the dotted and dotless i, the Kelvin sign, the long s
_FOLDS = {"i": {"\u0130", "\u0131"}, "k": {"\u212a"}, "s": {"\u017f"}}


def _chars(code: int, ignorecase: bool) -> set[str] | None:
    """What a literal matches; None when that is not known (a non-ASCII character under IGNORECASE)."""
    ch = chr(code)
    if not ignorecase:
        return {ch}
    if code >= 128:
        return None  # Unicode case folding has too many partners to list here: no claim
    return {ch, ch.lower(), ch.upper()} | _FOLDS.get(ch.lower(), set())


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
                chars = _chars(value, ignorecase)
                if chars is None:
                    return None
                union |= chars
            elif kind is C.RANGE and value[1] - value[0] <= WIDE_RANGE:
                for code in range(value[0], value[1] + 1):
                    chars = _chars(code, ignorecase)
                    if chars is None:
                        return None
                    union |= chars
            else:  # NEGATE, CATEGORY, a wide range: anything could match
                return None
        return union
    return None  # ANY, NOT_LITERAL, AT, ASSERT, ASSERT_NOT, GROUPREF, ...
