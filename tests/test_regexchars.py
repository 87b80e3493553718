"""regexchars' guard around re._parser: when the private parser is missing or answers in another shape, every
pattern is 'unknown' (None) and the shortcuts built on it skip nothing; the converted bytes stay the same."""

from __future__ import annotations

import re
import types

import pytest

from sitegen import markdown_ext, mdfast, regexchars
from sitegen.regexchars import necessary
from test_markdown_prefilter import EDGE_CASES, STOCK


@pytest.fixture(autouse=True)
def _fresh():
    regexchars.reset()
    mdfast.reset()
    yield
    regexchars.reset()
    mdfast.reset()
    assert mdfast.active(markdown_ext.make_markdown) == set(mdfast.NAMES), mdfast.describe()  # as the process had it


def test_the_self_check_passes_on_this_python():
    assert necessary(re.compile(r"\[")) == {"["}
    assert regexchars.AVAILABLE is True and regexchars.PROBLEM is None


@pytest.mark.parametrize("parser", [
    None,  # re._parser could not be imported
    types.SimpleNamespace(parse=lambda pattern, flags: []),  # a parse tree of another shape
    types.SimpleNamespace(parse=lambda pattern, flags: 1 / 0),
])
def test_an_unexpected_parser_makes_every_answer_unknown(monkeypatch, parser):
    monkeypatch.setattr(regexchars, "P", parser)
    assert necessary(re.compile(r"\[")) is None
    assert necessary(re.compile(r"\*|_")) is None
    assert regexchars.AVAILABLE is False and regexchars.PROBLEM


def test_answers_of_another_shape_fail_the_self_check(monkeypatch):
    monkeypatch.setattr(regexchars, "KNOWN", regexchars.KNOWN + ((r"q", 0, {"z"}),))
    assert necessary(re.compile("x")) is None
    assert "not what sitegen was tested with" in regexchars.PROBLEM


def test_conversion_without_the_analysis_gives_the_same_bytes(monkeypatch):
    monkeypatch.setattr(regexchars, "P", None)
    conv = markdown_ext.Converter()  # the shortcuts are installed, but no pattern or block is skipped by character
    assert regexchars.AVAILABLE is False
    assert not conv.shortcuts.blocks or all(
        type(p).__name__ == "TableProcessor" for p, _m in conv.shortcuts.blocks)
    for text in EDGE_CASES:
        assert repr(conv.convert("x.md", text, 1)) == repr(STOCK.convert("x.md", text, 1))


def test_the_case_folds_are_complete():
    """Every code point that an ASCII letter or digit matches under IGNORECASE is in the analysis's answer."""
    any_letter = re.compile(r"(?i)[a-z0-9]")
    partners = [c for c in map(chr, range(0x110000)) if any_letter.fullmatch(c)]
    for letter in "abcdefghijklmnopqrstuvwxyz0123456789":
        one = re.compile("(?i)" + letter)
        matched = {c for c in partners if one.fullmatch(c)}
        assert matched == regexchars._chars(ord(letter), True), letter
    assert necessary(re.compile("(?i)k")) == {"k", "K", "\u212a"}
    assert re.search("(?i)s", "\u017f") and "\u017f" in necessary(re.compile("(?i)s"))
    assert necessary(re.compile("(?i)\u00e9")) is None  # non-ASCII under IGNORECASE: no claim
