"""Markdown conversion: one configured Python-Markdown instance per process, plus the component extension.

Components are written `{{ name("arg", ...) }}` in Markdown. Conversion replaces each with a token and records
the call with its line; the page renderer later swaps tokens for data-driven HTML. So converted Markdown does
not depend on data or templates and can be cached by the article's bytes alone. A call inside inline code, an
indented or fenced code block, or raw HTML stays literal text.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import replace
import html
import re
import xml.etree.ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from . import mdfast
from .calls import IMAGE_RE, image_call, parse_call
from .errors import Problem
from .model import Body, Component, Converted, Heading

# The Markdown feature set. Its repr is part of the cache key (see cache.py), so any change here invalidates it.
# abbr, def_list and md_in_html are left out: rarely used in articles, and together they cost about a third of the
# conversion time (their tree passes run on every article).
EXTENSIONS = [
    "admonition",
    "attr_list",
    "footnotes",
    "sane_lists",
    "smarty",
    "tables",
    "toc",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
    "pymdownx.magiclink",
    "pymdownx.saneheaders",
    "pymdownx.superfences",
    "pymdownx.tasklist",
    "pymdownx.tilde",
]
EXTENSION_CONFIGS = {
    "toc": {"toc_depth": "2-3"},
    "pymdownx.highlight": {"use_pygments": True, "css_class": "highlight", "guess_lang": False},
    "pymdownx.magiclink": {"hide_protocol": False},
    "pymdownx.tasklist": {"custom_checkbox": False},
    "footnotes": {"UNIQUE_IDS": False},
}

# A call is `{{`, then anything but a line break or another `{{`, then `}}`: from each `{{` the search stops at the
# next one, so a line of 20,000 `{{` is read in linear time (`\{\{(.*?)\}\}` rescanned the line from each of them).
CALL_RE = re.compile(r"\{\{((?:(?!\{\{)[^\n])*?)\}\}")
FENCE_OPEN_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
BACKTICKS_RE = re.compile(r"`+")
TOKEN_RE = re.compile(r"SGCOMP(\d+)X")
TAG_RE = re.compile(r"<[^>]+>")
H2_RE = re.compile(r'<h2 id="([^"]+)"[^>]*>')


def html_to_text(fragment: str) -> str:
    """Visible text: tags dropped, entities decoded, whitespace runs collapsed to one space (str.split() and
    regex `\\s` agree on what whitespace is; split is ten times faster than substituting every space)."""
    return " ".join(html.unescape(TAG_RE.sub(" ", fragment)).split())


def questions(headings) -> dict[str, str]:
    """Anchor -> text of each H2 that asks a question (ends with '?'): the article's FAQ."""
    return {h.id: h.text for h in headings if h.level == 2 and h.text.rstrip().endswith("?")}


def faq_sections(body: str, headings) -> list[tuple[str, str]]:
    """(anchor, answer HTML) of each question (questions()) in page order: the answer runs from the end of its
    heading to the next H2 with an id."""
    asked = questions(headings)
    if not asked:
        return []
    marks = list(H2_RE.finditer(body))
    sections = []
    for index, mark in enumerate(marks):
        anchor = mark.group(1)
        if anchor not in asked:
            continue
        start = body.index("</h2>", mark.end()) + len("</h2>")
        end = marks[index + 1].start() if index + 1 < len(marks) else len(body)
        sections.append((anchor, body[start:end]))
    return sections


def token(index: int) -> str:
    return f"SGCOMP{index}X"


def code_free(line: str) -> list[tuple[bool, str]]:
    """The line cut into (is inline code, text) pieces: a run of n backticks opens a code span that the next run of
    exactly n backticks closes (Python-Markdown's rule; a span never crosses a line there)."""
    if "`" not in line:
        return [(False, line)]
    pieces: list[tuple[bool, str]] = []
    start = 0
    position = 0
    while True:
        opener = BACKTICKS_RE.search(line, position)
        if opener is None:
            break
        closer = BACKTICKS_RE.search(line, opener.end())
        while closer is not None and len(closer.group()) != len(opener.group()):
            closer = BACKTICKS_RE.search(line, closer.end())
        if closer is None:
            position = opener.end()
            continue
        if opener.start() > start:
            pieces.append((False, line[start:opener.start()]))
        pieces.append((True, line[opener.start():closer.end()]))
        start = position = closer.end()
    pieces.append((False, line[start:]))
    return pieces


class _State:
    """Per-conversion state shared by the extension's processors."""

    def __init__(self) -> None:
        self.line_offset = 0
        self.head = (0, 0)  # (lines, offset): the first `lines` lines of the text are numbered from `offset` instead
        self.calls: list[Component] = []
        self.literal: set[str] = set()  # tokens that landed in code or raw HTML
        self.problems: list[Problem] = []
        self.path = ""


class _Tokenize(Preprocessor):
    """Runs first, on the source lines as written (so line numbers are exact): replaces each call outside code with
    a token. Fenced blocks (at any indentation: also inside list items) and inline code spans are left exactly as
    written. Calls are read only after conversion, once it is known which tokens stayed outside code: a token that
    ends up in indented code or raw HTML is turned back into the call as written by the two restorers below."""

    def __init__(self, md, state: _State):
        super().__init__(md)
        self.state = state

    def run(self, lines):
        state = self.state

        def replace(match: re.Match, lineno: int) -> str:
            tok = token(len(state.calls))
            state.calls.append(Component(tok, "", (), (), match.group(0), lineno))
            return tok

        out: list[str] = []
        head, head_offset = state.head
        # the fenced block we may be in: its opening run of backticks or tildes, where it starts in `out`, and how
        # many calls there were before it. Lines after an opening fence are tokenized all the same, and put back
        # as written once a closing fence shows they were code (a fence never closed is no code block).
        fence: tuple[str, int, int] | None = None
        for number, line in enumerate(lines):
            opened = FENCE_OPEN_RE.match(line)
            if fence is not None and opened and opened.group(1)[0] == fence[0][0] \
                    and len(opened.group(1)) >= len(fence[0]) and not line[opened.end():].strip():
                start = fence[1]
                out[start:] = lines[number - (len(out) - start):number]
                del state.calls[fence[2]:]
                out.append(line)
                fence = None
                continue
            if fence is None and opened and not (opened.group(1)[0] == "`" and "`" in line[opened.end():]):
                fence = (opened.group(1), len(out) + 1, len(state.calls))
            elif "{{" in line or "![" in line:
                lineno = (head_offset if number < head else state.line_offset) + number + 1
                line = "".join(text if code else IMAGE_RE.sub(lambda m: replace(m, lineno),
                                                              CALL_RE.sub(lambda m: replace(m, lineno), text))
                               for code, text in code_free(line))
            out.append(line)
        return out


def _restore(state: _State, match: re.Match, by_token: dict[str, Component], escape: bool) -> str:
    """The call as written, for a token found in code; the token is then no component."""
    tok = match.group(0)
    if tok not in by_token:
        return tok
    state.literal.add(tok)
    return html.escape(by_token[tok].source, quote=False) if escape else by_token[tok].source


class _RestoreInCode(Treeprocessor):
    """Calls that landed in code (inline or indented) are shown literally, as written."""

    def __init__(self, md, state: _State):
        super().__init__(md)
        self.state = state

    def run(self, root: etree.Element):
        by_token = {c.token: c for c in self.state.calls}
        for element in root.iter():
            if element.tag in ("code", "pre") and element.text and "SGCOMP" in element.text:
                element.text = markdown.util.AtomicString(TOKEN_RE.sub(lambda m: self._literal(m, by_token), element.text))
        return None

    def _literal(self, match: re.Match, by_token: dict[str, Component]) -> str:
        return _restore(self.state, match, by_token, escape=False)


class _RestoreInStash(Postprocessor):
    """Fenced code nested in lists, and raw HTML, are stashed as HTML: restore calls there, escaped."""

    def __init__(self, md, state: _State):
        super().__init__(md)
        self.state = state

    def run(self, text: str) -> str:
        by_token = {c.token: c for c in self.state.calls}
        stash = self.md.htmlStash.rawHtmlBlocks
        for index, block in enumerate(stash):
            if isinstance(block, str) and "SGCOMP" in block:
                stash[index] = TOKEN_RE.sub(lambda m: self._literal(m, by_token), block)
        return text

    def _literal(self, match: re.Match, by_token: dict[str, Component]) -> str:
        return _restore(self.state, match, by_token, escape=True)


class ComponentExtension(Extension):
    def __init__(self, state: _State):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md):
        md.preprocessors.register(_Tokenize(md, self.state), "sitegen_components", 29)
        md.treeprocessors.register(_RestoreInCode(md, self.state), "sitegen_code_literal", 19)
        md.postprocessors.register(_RestoreInStash(md, self.state), "sitegen_stash_literal", 35)


def make_markdown(*extra: Extension) -> markdown.Markdown:
    """A Markdown instance with the site's extensions (plus `extra`), as Python-Markdown builds it."""
    return markdown.Markdown(extensions=[*EXTENSIONS, *extra], extension_configs=EXTENSION_CONFIGS,
                             output_format="html")


class Converter:
    """One Markdown instance, reset between articles (never re-created: building it costs more than a page).

    The speed shortcuts into Python-Markdown's internals are mdfast's, installed when its self-check passes
    (`shortcuts=False`, or SITEGEN_NO_SHORTCUTS=1: the stock passes, the same bytes)."""

    def __init__(self, shortcuts: bool = True) -> None:
        self.state = _State()
        self.md = make_markdown(ComponentExtension(self.state))
        self.shortcuts = mdfast.install(self.md, make_markdown) if shortcuts else mdfast.Installed()

    def _convert(self, text: str, line_offset: int, head: tuple[int, int] = (0, 0)) -> str:
        self.md.reset()
        self.state.line_offset, self.state.head = line_offset, head
        return self.md.convert(text)

    def _convert_with_head(self, qa_text: str, qa_line: int, body: str, body_line: int) -> tuple[str, str] | None:
        """The quick answer and the body in one conversion: (quick answer HTML, body HTML), each as its own
        conversion writes it, or None when that cannot be guaranteed (then nothing is left in the state).

        A separate conversion of a one-line quick answer costs about 0.13 ms, 2-4 % of an article. Written as the
        first paragraph of the body, it comes out as the first `<p>...</p>` of the HTML, the same bytes, provided
        it is one paragraph and nothing in it reaches across paragraphs: `mergeable_head` admits no link or
        footnote brackets, raw HTML, code, attribute lists or escapes, and no first character that could start
        another kind of block. The body's blocks start after a blank line, where a document's first block would.
        tests/test_markdown_head.py compares both ways on generated texts."""
        state = self.state
        calls, problems = len(state.calls), len(state.problems)
        # the head is line 1 (numbered as the field's line) and the blank line 2; the body starts on line 3
        out = self._convert(qa_text + "\n\n" + body, body_line - 3, (2, qa_line - 1))
        close = out.find("</p>") if out.startswith("<p>") else -1
        if close > 0 and "<p>" not in out[3:close]:  # the head is exactly the first paragraph
            end = close + len("</p>")
            return out[:end], out[end:].strip()
        del state.calls[calls:], state.problems[problems:]  # never reached for a mergeable head (tested)
        state.literal.clear()
        return None

    def convert(self, path: str, body: str, body_line: int,
                fields: list[tuple[str, str, int]] = ()) -> tuple[Converted, Body, list[Problem]]:
        """The body and the front matter's Markdown fields (name, text, line), each call in a folded field
        reported at the field's line. The first field is converted with the body when it can be (one conversion
        instead of two, the same bytes: _convert_with_head)."""
        state = self.state
        state.path, state.calls, state.problems, state.literal = path, [], [], set()
        fields_html: dict[str, str] = {}
        html_out = None
        for index, (name, text, line) in enumerate(fields):
            folded = CALL_RE.sub(lambda m: m.group(0).replace("\n", " "), " ".join(text.splitlines()))
            if index == 0 and mergeable_head(folded) and body.strip():
                merged = self._convert_with_head(folded, line, body, body_line)
                if merged is not None:
                    fields_html[name], html_out = merged
                    continue
            fields_html[name] = self._convert(folded, line - 1)
        if html_out is None:
            html_out = self._convert(body, body_line - 1)
        headings = tuple(_flatten(self.md.toc_tokens))
        plain = TAG_RE.sub(" ", TOKEN_RE.sub(" ", " ".join(fields_html.values()) + " " + html_out))
        words = len(html.unescape(plain).split())
        # only the calls that stayed outside code are components: read them now (the literal text is needed only
        # while converting, to restore calls in code: dropped, it saves memory)
        calls = []
        for c in state.calls:
            if c.token in state.literal:
                continue
            parsed = image_call(c.source) if c.source.startswith("![") else parse_call(c.source[2:-2].strip())
            if isinstance(parsed, str):
                state.problems.append(Problem(path, c.line, parsed))
                continue
            calls.append(replace(c, name=sys.intern(parsed[0]), args=parsed[1], kwargs=parsed[2],
                                 block=f"<p>{c.token}</p>" in html_out, source=""))
        calls = tuple(calls)
        return Converted(calls, headings, words), Body(html_out, fields_html), list(state.problems)


# What a one-line quick answer may hold to be converted as the body's first paragraph (Converter._convert_with_head):
# no character that opens something beyond its paragraph or its own inline span (brackets: links, references,
# footnotes, [TOC]; <: raw HTML; `: code; \\: escapes; {}: attribute lists, except around component calls that
# read; |: tables), no control character, and a first character that starts nothing but a paragraph.
_HEAD_UNSAFE = re.compile(r"[\[\]<>`\\{}|\x00-\x1f\x7f]")
_HEAD_FIRST = re.compile(r"[^\W\d_]|[\"'(\u2018\u201c]")


def mergeable_head(qa_text: str) -> bool:
    if qa_text != qa_text.strip() or "SGCOMP" in qa_text:
        return False
    calls_ok = True

    def call(match: re.Match) -> str:
        nonlocal calls_ok
        calls_ok = calls_ok and not isinstance(parse_call(match.group(1).strip()), str) \
            and not _HEAD_UNSAFE.search(match.group(1))
        return "SGCOMP0X"

    rest = CALL_RE.sub(call, qa_text)
    return calls_ok and _HEAD_UNSAFE.search(rest) is None and _HEAD_FIRST.match(rest) is not None


def _flatten(tokens) -> list[Heading]:
    out = []
    for tok in tokens:
        out.append(Heading(tok["level"], tok["id"], html.unescape(tok["name"])))
        out.extend(_flatten(tok.get("children", ())))
    return out


@functools.cache
def converter() -> Converter:
    """The process's converter (each worker process gets its own)."""
    return Converter()


def config_fingerprint() -> str:
    """What converted HTML depends on besides the source: the extensions, their settings and the versions of the
    libraries that write it (a new pymdown-extensions or Pygments release may highlight or nest differently)."""
    import pygments
    from pymdownx import __version__ as pymdownx_version  # what the package exports (from its __meta__)

    return repr((EXTENSIONS, sorted(EXTENSION_CONFIGS.items()), markdown.__version__, pymdownx_version,
                 pygments.__version__, IMAGE_RE.pattern))
