"""The quick answer converted as the body's first paragraph (Converter._convert_with_head) gives exactly what two
separate conversions give: the same HTML for each, the same headings, calls, words and problems at the same lines.

The reference is test_markdown_prefilter's stock converter (Python-Markdown's own inline passes and table of
contents, the quick answer converted on its own)."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from sitegen import markdown_ext, yamlutil
from sitegen.content import split_front_matter
from sitegen.markdown_ext import mergeable_head
from test_markdown_prefilter import EDGE_CASES, FAST, STOCK

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402


def fields(qa, qa_line):
    """The Markdown field of the front matter as Converter.convert takes it (none when qa is empty)."""
    return [("quick_answer", qa, qa_line)] if qa else []


def both(qa: str, body: str, qa_line: int = 8, body_line: int = 14):
    return (FAST.convert("x.md", body, body_line, fields(qa, qa_line)),
            STOCK.convert("x.md", body, body_line, fields(qa, qa_line)))


def merges(qa: str, body: str) -> bool:
    """Whether FAST took the one-conversion path for this text."""
    taken = []
    original = FAST._convert_with_head

    def spy(*args):
        out = original(*args)
        taken.append(out is not None)
        return out

    FAST._convert_with_head = spy
    try:
        FAST.convert("x.md", body, 14, fields(qa, 8))
    finally:
        del FAST._convert_with_head
    return taken == [True]


QA_PIECES = st.sampled_from(
    list("abcXYZ019 .,;:!?'\"()-%$&*_~#=+^@/\u2019\u201c\u2014\u00e9[]<>`\\|{}\t\n")
    + ["{{ salary(\"ai-engineer\") }}", "{{ postings(\"ml-engineer\") }}", "{{ bad( }}", "{{ nope() }}",
       "{{ salary(\"[x]\") }}", "http://example.com/a", "a@b.io", "--", "...", "[^1]", "[TOC]", "SGCOMP1X",
       "*em*", "**strong**", "~~del~~", "  ", "1. ", "- ", "# ", "> ", "!!! note", "```", "    ", "{: .x}"])
BODIES = st.sampled_from(EDGE_CASES + [
    "",
    "   \n",
    "{{ quick_answer() }}\n\n## What is it?\n\nPay is {{ salary(\"ai-engineer\") }} and {{ oops( }}.",
    "[r]: /ref/\n[^1]: A note.\n\nText [r] and [^1].",
    "===\n\nAfter a rule-like line.",
    "    indented code first\n\nthen text",
    "<div>raw block first</div>\n\ntext",
    "- list first\n- second",
    "\n\n\nLeading blank lines, then text with 'quotes'.",
])


# what a head could reach in the body: references, footnotes, abbreviations, a [TOC] marker
REACHING = st.sampled_from(["[r]", "[short]", "[^1]", "[TOC]", "HTML", "<b>x</b>", "`c`", "\\[r\\]"])
DEFINING = st.sampled_from(["[r]: /ref/\n[short]: /s/\n[^1]: A note.\n*[HTML]: markup\n\n## H\n\n[TOC]\n",
                            "Text [r][] and [^1].\n\n[r]: /ref/\n[^1]: Note.", "[TOC]"])


@settings(max_examples=600, deadline=None)
@given(st.lists(QA_PIECES, min_size=1, max_size=14).map("".join), BODIES)
def test_one_conversion_gives_what_two_give(qa, body):
    fast, stock = both(qa, body)
    assert fast == stock


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["Pay ", "\u201cA\u201d ", "(x) "]), st.lists(st.one_of(REACHING, QA_PIECES), max_size=6),
       DEFINING)
def test_a_head_that_reaches_into_the_body_is_converted_on_its_own(start, pieces, body):
    qa = start + "".join(pieces)
    fast, stock = both(qa, body)
    assert fast == stock


def test_the_generated_corpus_and_the_site_take_the_one_conversion_path(tmp_path):
    site = tmp_path / "site"
    generate.generate(40, site, seed=5)
    docs = sorted((site / "content").glob("*.md")) + sorted((REPO / "content").glob("*.md"))
    merged = 0
    for path in docs:
        front, body, body_line = split_front_matter(path.read_text(encoding="utf-8"), path.name)
        meta, lines = yamlutil.load(front, line_offset=1)
        qa, qa_line = meta["quick_answer"], lines[("quick_answer",)]
        fast, stock = both(qa, body, qa_line, body_line)
        assert fast == stock, path
        merged += merges(qa, body)
    assert merged == len(docs) == 41


def test_lines_of_problems_in_the_body_after_a_merged_head():
    qa = "Pay sits at\n{{ salary(\"ai-engineer\") }} a year."
    body = "\nIntro.\n\n{{ nope }}\n\n## Q?\n\n{{ salary(x) }}\n"
    assert merges(qa, body)
    _, result, problems = FAST.convert("x.md", body, 20, fields(qa, 8))
    assert result.fields["quick_answer"] == "<p>Pay sits at SGCOMP0X a year.</p>"
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (23, "{{ nope }} is not a component call; write it like {{ name(\"argument\") }}"),
        (27, "component salary(): arguments are literal values: \"text\", 12, 3.5, true, false, none or [lists of these]"),
    ]


def test_what_is_not_merged():
    assert mergeable_head("Think of it as \u201cthe system\u201d: {{ salary(\"ai-engineer\") }}, roughly.")
    assert mergeable_head("\u2018Quoted\u2019 start -- with dashes... and *em*")
    for text in ["[link](/x/) first", "see [^1]", "an <b>html</b> tag", "some `code`", "a \\* escape",
                 "a | pipe", "{: .attr}", "{{ bad( }} call", "{{ salary(\"[x]\") }}", "# heading", "- item",
                 "1. item", "> quote", "    indented", " leading space", "trailing space ", "tab\there",
                 "SGCOMP0X token", "", "!!! note", "=== rule", "*em* first"]:
        assert not mergeable_head(text), text
