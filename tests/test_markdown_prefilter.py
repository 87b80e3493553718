"""The conversion shortcuts (sitegen/mdfast/) change speed only, never a byte of output.

Two checks: the necessary-character analysis (sitegen/regexchars.py) is sound for any text Hypothesis can find,
and whole documents convert to exactly what stock Python-Markdown gives, over a generated corpus, the real site
and a set of inline edge cases.
"""

from __future__ import annotations

import functools
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.treeprocessors import InlineProcessor

from conftest import REPO
from sitegen import markdown_ext, mdfast
from sitegen.content import split_front_matter
from sitegen.regexchars import necessary

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402  (bench/generate.py: the benchmark's corpus generator)


class _StockConverter(markdown_ext.Converter):
    def _convert_with_head(self, *args) -> None:
        return None  # the quick answer converted on its own, as a second text


def _stock_converter() -> markdown_ext.Converter:
    """Our converter with none of mdfast's shortcuts (Python-Markdown's own inline passes, block processors and
    table of contents), and the quick answer converted on its own."""
    return _StockConverter(shortcuts=False)


FAST = markdown_ext.Converter()
STOCK = _stock_converter()


def both(text: str) -> tuple[str, str]:
    fast = FAST.convert("x.md", text, 1)
    stock = STOCK.convert("x.md", text, 1)
    return repr(fast), repr(stock)


def test_the_shortcut_is_installed_for_both_inline_passes():
    assert FAST.shortcuts.names == {"inline", "blocks", "toc", "pygments"} == mdfast.ACTIVE, mdfast.describe()
    for name in ("inline", "smarty"):
        fast, stock = FAST.md.treeprocessors[name], STOCK.md.treeprocessors[name]
        assert type(fast) is type(stock) is InlineProcessor
        assert fast.run.__func__ is mdfast.inline._FastInline.run
        assert "run" not in vars(stock) and "_InlineProcessor__handleInline" not in vars(stock)


# -- the analysis --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, expected", [
    (r"\[", {"["}),
    (r"(?<!\!)\[", {"["}),
    (r"\*|_", {"*", "_"}),
    (r"(?i)<((?:ht|f)tps?://[^<>]*)>", {"<"}),
    (r"(?i)x", {"x", "X"}),
    (r"a?b", {"b"}),
    (r"a*", None),
    (r"[^a]", None),
    (r"\w+@", {"@"}),
    (r"(?=')x|y", {"x", "y"}),
    (r"(?='q)", None),
    (r".", None),
    (r"[a-c]", {"a", "b", "c"}),
    (r"[\u0000-\uffff]", None),
])
def test_necessary_characters(pattern, expected):
    found = necessary(re.compile(pattern))
    assert (set(found) if found is not None else None) == expected


def _inline_regexes() -> list[re.Pattern]:
    out = []
    for name in ("inline", "smarty"):
        for pattern in FAST.md.treeprocessors[name].inlinePatterns:
            out.append(pattern.getCompiledRegExp())
    return out


INLINE_REGEXES = _inline_regexes()
ALPHABET = st.sampled_from(list("ab zZ09_*`~'\"[]()!<>&#;:/.@-\\\n\t^=\x02\x03") + ["http://", "www.", "--", "..."])


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_a_pattern_never_matches_text_without_its_necessary_characters(text):
    """Soundness: when the text lacks every necessary character, the regex finds nothing in it."""
    for regex in INLINE_REGEXES:
        need = necessary(regex)
        if need is not None and need.isdisjoint(text):
            assert regex.search(text) is None, (regex.pattern, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
       st.sampled_from([r"(?i)k", r"[a-f]x", r"(ab|cd)+", r"(?:x|y)?z", r"\d+%", r"(?i:é)", r"[ſs]"]))
def test_analysis_is_sound_for_unicode_and_case(text, pattern):
    regex = re.compile(pattern)
    need = necessary(regex)
    if need is not None and need.isdisjoint(text):
        assert regex.search(text) is None


# -- whole documents -----------------------------------------------------------------------------------------------

EDGE_CASES = [
    "Plain words only, nothing to match.",
    "\"Double\" and 'single' quotes, it's the '90s, \"quoted 'nested' text\".",
    "Dashes -- en and --- em... and ellipses. <<angles>>",
    "*em* **strong** ***both*** _u_ __uu__ ___uuu___ a*b*c snake_case_word",
    "`code with *stars* and 'quotes'` and ``double `tick` code`` and \\`escaped\\`",
    "[link](/x/ \"title\") [ref][r] [short] ![img](/i.png) ![alt][r]\n\n[r]: /ref/\n[short]: /s/",
    "Autolinks <https://example.com/a?b=c&d=e> <mailto:me@example.com> <me@example.com>",
    "Magic https://example.com/path, www.example.org and mail someone@example.com. HTTP://UPPER.EXAMPLE",
    "Entities &amp; &copy; &#169; &#xA9; & alone; <span class=\"x\">inline *html*</span>",
    "Line with break  \nnext line and a footnote[^1].\n\n[^1]: The *note* with 'quotes'.",
    "~~strike~~ and ~sub~ and a tilde ~ alone",
    "- [ ] open task with 'quote'\n- [x] done task with `code`\n",
    "| a | 'b' |\n|---|---|\n| *c* | \"d\" -- e |\n",
    "Escapes: \\* \\_ \\[ \\] \\\\ and a trailing backslash \\",
    "## Is this a 'question'? {#custom-id}\n\nAnswer with {{ salary(\"ai-engineer\") }} and `{{ literal }}`.",
    "Nested **bold with *em* and `code` and [link](/l/) inside** end.",
    "Unicode: café 'naïve' — “already smart” ſtrange ẞ straße",
    "!!! note \"Admonition 'title'\"\n    Body with *em* and \"quotes\".",
    "```python\nprint('not processed -- ...')\n```\n\nAfter the fence: 'processed'.",
    "1. first\n2. second with <b>html</b>\n\n    indented code 'kept'\n",
    "<div markdown=\"1\">*raw block*</div>\n\nText after.",
    "Text with placeholder-like bytes \x02 and \x03 inside.",
    "[TOC]\n\n## First question?\n\nAnswer.\n\n## Second\n\nMore.",
    "Escaped \\[TOC\\] and an entity &#91;TOC&#93; and code `[TOC]` and inline [TOC] text.\n\n## H?\n\nx",
    "  [TOC]  \n\n### Deep\n\n- [TOC]\n",
    "[TO\x02C]\n\n## A marker that normalize_whitespace completes (it drops STX and ETX)\n\nx",
]


@pytest.mark.parametrize("text", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_edge_cases_convert_exactly_as_stock_markdown(text):
    fast, stock = both(text)
    assert fast == stock


def test_generated_corpus_converts_exactly_as_stock_markdown(tmp_path):
    site = tmp_path / "site"
    generate.generate(60, site, seed=11)
    docs = sorted((site / "content").glob("*.md"))
    docs += sorted((REPO / "content").glob("*.md"))
    docs += sorted((REPO / "tests" / "fixtures").rglob("*.md"))
    assert len(docs) > 60
    for path in docs:
        _front, body, _line = split_front_matter(path.read_text(encoding="utf-8"), path.name)
        fast, stock = both(body)
        assert fast == stock, path



def test_a_pattern_added_between_conversions_is_used():
    # the shortcut plans its patterns once and reuses the plan while the registry holds the same patterns
    from markdown.inlinepatterns import SimpleTagInlineProcessor

    conv = markdown_ext.Converter()
    assert "<mark>" not in conv.convert("x.md", "a ==marked== word", 1)[1].html
    conv.md.inlinePatterns.register(SimpleTagInlineProcessor(r"()==(.+?)==", "mark"), "mark", 65)
    assert "<p>a <mark>marked</mark> word</p>" in conv.convert("x.md", "a ==marked== word", 1)[1].html
    conv.md.inlinePatterns.deregister("mark")
    assert "<mark>" not in conv.convert("x.md", "a ==marked== word", 1)[1].html


CODE_BLOCKS = '''# Code

```python
def f(x):
    return x + 1  # one
```

```python hl_lines="1 2" linenums="3"
a = 1
b = "two"
```

```yaml title="roles.yaml"
roles: [ai-engineer]
```

```nolang
<b>not highlighted</b>
```

```python
print("same options as the first block")
```

Inline `#!python len("x")` and `#!sql SELECT 1` and plain `code`.

- In a list:

    ```bash
    make build && echo "done"
    ```
'''


def test_shared_pygments_lexers_and_formatters_give_the_same_html(monkeypatch):
    from pymdownx import highlight as hl

    assert "pygments" in mdfast.ACTIVE
    shared = markdown_ext.Converter().convert("x.md", CODE_BLOCKS * 2, 1)[1].html
    assert 'class="highlight"' in shared and "hll" in shared and "linenos" in shared and "filename" in shared
    assert len(hl.BlockHtmlFormatter.made) >= 3  # built once per distinct options, reused for the repeats
    for name in ("get_lexer_by_name", "BlockHtmlFormatter", "InlineHtmlFormatter"):
        monkeypatch.setattr(hl, name, getattr(hl, name).original)  # Pygments objects built afresh for every block
    assert markdown_ext.Converter().convert("x.md", CODE_BLOCKS * 2, 1)[1].html == shared


# -- block shortcuts (mdfast.blocks._install_blocks) --------------------------------------------------------------------------

def test_the_block_shortcuts_are_installed():
    installed = sorted((type(p).__name__, m) for p, m in FAST.shortcuts.blocks)
    assert installed == [("AdmonitionProcessor", "test"), ("BlockQuoteProcessor", "test"),
                         ("FootnoteBlockProcessor", "run"), ("ReferenceProcessor", "run"),
                         ("SaneHeadersProcessor", "test"), ("SetextHeaderProcessor", "test"),
                         ("TableProcessor", "test")]
    assert not any(m in vars(p) for p in STOCK.md.parser.blockprocessors for m in ("test", "run"))


BLOCK_ALPHABET = st.sampled_from(list("ab #>|[]^:=-!*_ .\n\t`") + ["!!! note", "    ", "[^1]: ", "[r]: /x/",
                                                                   "| a | b |", "|---|---|", "## ", "> ", "===",
                                                                   "x | y\n:|:", "x | y\n | "])


@settings(max_examples=500, deadline=None)
@given(st.lists(BLOCK_ALPHABET, max_size=30).map("".join), st.booleans())
def test_each_shortcut_test_answers_as_the_stock_test(block, after_admonition):
    import xml.etree.ElementTree as etree

    parent = etree.Element("div")
    if after_admonition:  # the admonition test also asks whether an indented block continues the one before
        etree.SubElement(parent, "div", {"class": "admonition note"})
    for processor, method in FAST.shortcuts.blocks:
        if method != "test":
            continue
        stock = getattr(type(processor), method)
        answers = []
        for test in (getattr(processor, method), functools.partial(stock, processor)):
            answers.append(bool(test(parent, block)))
            if hasattr(processor, "current_sibling"):
                processor.current_sibling, processor.content_indent = None, 0  # what a test leaves for its run
        assert answers[0] == answers[1], (type(processor).__name__, block)


BLOCK_PIECES = st.sampled_from([
    "Plain paragraph with a hyphen-word and a period.", "## Heading two", "# One #", "Setext\n===", "Setext\n---",
    "> quoted\n> more", "Text\n> lazy quote", "| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n--|--\nc | d",
    "| single |\n|---|\n| x |", "x | y\n:|:\n1 | 2", "x | y\n | \n1 | 2", "[r]: /ref/ \"T\"\nSee [r].", "Para then\n[r]: /ref/", "Note[^1].\n\n[^1]: Foot.",
    "!!! note \"Title\"\n    Body of it.", "    indented continuation", "- item\n- item [r]", "1. one\n2. two",
    "***", "- - -", "Text with ! bang and # hash and > gt and | pipe", "```\ncode | # > [\n```", "\t tabbed",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(BLOCK_PIECES, min_size=1, max_size=8), st.sampled_from(["\n\n", "\n"]))
def test_documents_of_block_pieces_convert_exactly_as_stock_markdown(pieces, joiner):
    fast, stock = both(joiner.join(pieces))
    assert fast == stock
