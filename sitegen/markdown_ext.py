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

import jinja2
import markdown
from jinja2 import nodes
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.inlinepatterns import InlineProcessor as _NewStylePattern
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AtomicString

from .errors import Problem
from .limits import MAX_CALL_CHARS, MAX_CALL_NESTING
from .model import Body, Component, Converted, Heading, Uncacheable, identity
from .regexchars import necessary

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

INLINE_COMPONENTS = frozenset({"salary", "postings", "salary_gap", "role"})
BLOCK_COMPONENTS = frozenset({"quick_answer", "salary_table", "responsibilities", "skills", "cta"})
KNOWN_COMPONENTS = INLINE_COMPONENTS | BLOCK_COMPONENTS

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


_jinja = jinja2.Environment(autoescape=True)


def token(index: int) -> str:
    return f"SGCOMP{index}X"


@functools.lru_cache(maxsize=4096)
def parse_call(source: str) -> tuple[str, tuple] | str:
    """`salary("ai-engineer")` -> ("salary", ("ai-engineer",)); a message string when it is not a component call.
    Only calls outside code get here (the tokenizer leaves code alone), so only they can be errors."""
    if len(source) > MAX_CALL_CHARS:
        return f"component call too long: {len(source):,} characters (at most {MAX_CALL_CHARS:,})"
    if source.count("(") + source.count("[") > MAX_CALL_NESTING:
        return f"component call with more than {MAX_CALL_NESTING} brackets; arguments are plain values"
    try:
        template = _jinja.parse("{{ " + source + " }}")
    except jinja2.TemplateSyntaxError as exc:
        return f"cannot read component {{{{ {source} }}}}: {exc.message}"
    except RecursionError:  # pragma: no cover - the bracket limit above keeps Jinja's parser shallow
        return "component call nested too deeply"
    output = template.body[0] if len(template.body) == 1 else None
    expr = output.nodes[0] if isinstance(output, nodes.Output) and len(output.nodes) == 1 else None
    if not isinstance(expr, nodes.Call) or not isinstance(expr.node, nodes.Name):
        return f"{{{{ {source} }}}} is not a component call; write it like {{{{ salary(\"ai-engineer\") }}}}"
    name = expr.node.name
    if name not in KNOWN_COMPONENTS:
        return f"unknown component '{name}' (known: {', '.join(sorted(KNOWN_COMPONENTS))})"
    if expr.kwargs or expr.dyn_args or expr.dyn_kwargs or not all(isinstance(a, nodes.Const) for a in expr.args):
        return f"component {name}(): arguments must be quoted strings, like {name}(\"ai-engineer\")"
    args = tuple(a.value for a in expr.args)
    if not all(isinstance(a, str) for a in args):
        return f"component {name}(): arguments must be quoted strings, like {name}(\"ai-engineer\")"
    return name, args


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
            state.calls.append(Component(tok, "", (), match.group(0), lineno))
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
            elif "{{" in line:
                lineno = (head_offset if number < head else state.line_offset) + number + 1
                line = "".join(text if code else CALL_RE.sub(lambda m: replace(m, lineno), text)
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


class _PrefilteredInline(InlineProcessor):
    """Python-Markdown's inline pass, with one shortcut: a pattern that cannot match the text is skipped.

    The stock loop calls `__applyPattern` for every pattern on every text node (about 3,500 calls per article), and
    almost all of them find nothing: that overhead was half of all conversion time. `__applyPattern` starts with
    `finditer(data, startIndex)` and, when that yields no match, returns `(data, False, 0)` with no side effect.
    We take that same result without the call when the pattern provably finds nothing: from the start of the
    text, when the text has none of the characters every match needs (regexchars.necessary, e.g. `[` for links,
    a quote for smarty's quote patterns); from a later index, when `search` finds nothing. Legacy patterns (which
    match differently) always take the stock path.

    `run` is the stock tree walk (Python-Markdown 3.x, BSD licence) with a second shortcut: a text or tail in which
    no pattern left a placeholder is put back as it is, which is what `__processPlaceholders` does with it by a
    longer way (it looks for placeholders, builds a list of none and, for a tail, a throwaway element), so most
    text nodes skip it. Byte-identical output: tests/test_markdown_prefilter.py.
    """

    def run(self, tree, ancestors=None):
        patterns = tuple(self.inlinePatterns)
        if patterns != self._plan_for:  # the same patterns in every conversion (compared by identity): plan once
            self._plan = self._make_plan(list(patterns))
            self._plan_for = patterns
        self._patterns, self._searches, self._probes, self._always, self._by_char, self._keys = self._plan
        handle = self._InlineProcessor__handleInline
        place = self._InlineProcessor__processPlaceholders
        prefix = self._InlineProcessor__placeholder_prefix
        self.stashed_nodes = {}
        tree_parents = [] if ancestors is None else ancestors[:]
        parent_map = self.parent_map = {c: p for p in tree.iter() for c in p}
        stack = [(tree, tree_parents)]
        self._InlineProcessor__build_ancestors(tree, tree_parents)
        while stack:
            current, parents = stack.pop(0)
            self.ancestors = parents
            if current is not tree:
                self.ancestors.append(current.tag.lower())
            insert_queue = []
            for child in current:
                text = child.text
                if text and not isinstance(text, AtomicString):
                    self.ancestors.append(child.tag.lower())
                    child.text = None
                    text = handle(text)
                    if prefix not in text:
                        child.text = text or None
                    else:
                        found = place(text, child)
                        for item in found:
                            parent_map[item[0]] = child
                        stack += found
                        insert_queue.append((child, found))
                    self.ancestors.pop()
                if child.tail:
                    tail = handle(child.tail)
                    if prefix not in tail:
                        child.tail = tail or None
                    else:
                        holder = etree.Element("d")
                        child.tail = None
                        found = place(tail, holder, False)
                        if holder.tail:
                            child.tail = holder.tail
                        pos = list(current).index(child) + 1
                        found.reverse()
                        for item in found:
                            parent_map[item[0]] = current
                            current.insert(pos, item[0])
                if len(child):
                    parent_map[child] = current
                    stack.append((child, self.ancestors[:]))
            for element, found in insert_queue:
                for index, item in enumerate(found):
                    element.insert(index, item[0])
        return tree

    _plan_for: tuple = ()

    @staticmethod
    def _make_plan(patterns: list) -> tuple:
        searches = []  # regex search of each new-style pattern (None: legacy)
        probes = []  # the search, for patterns whose necessary characters are unknown
        always = 0  # bit i: pattern i is tried whatever characters the text has
        by_char: dict[str, int] = {}  # character -> bits of the patterns that need it
        for index, pattern in enumerate(patterns):
            compiled = pattern.getCompiledRegExp() if isinstance(pattern, _NewStylePattern) else None
            need = necessary(compiled) if compiled is not None else None
            searches.append(compiled.search if compiled is not None else None)
            probes.append(compiled.search if compiled is not None and need is None else None)
            if need is None:
                always |= 1 << index
            else:
                for char in need:
                    by_char[char] = by_char.get(char, 0) | 1 << index
        return patterns, searches, probes, always, by_char, frozenset(by_char)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, AtomicString):
            return data
        searches, probes, patterns = self._searches, self._probes, self._patterns
        always, by_char, keys = self._always, self._by_char, self._keys
        apply = self._InlineProcessor__applyPattern
        count = len(patterns)
        startIndex = 0
        mask = -1  # bits of the patterns that may match this version of `data` (-1: not computed yet)
        while patternIndex < count:
            if startIndex == 0:
                if mask < 0:
                    mask = always
                    for char in keys.intersection(data):
                        mask |= by_char[char]
                rest = mask >> patternIndex
                if not rest:
                    break  # no later pattern can match
                patternIndex += (rest & -rest).bit_length() - 1
                probe = probes[patternIndex]
                if probe is not None and probe(data, 0) is None:
                    patternIndex += 1
                    continue
            else:  # the same pattern again, after its last match
                search = searches[patternIndex]
                if search is not None and search(data, startIndex) is None:
                    patternIndex += 1
                    startIndex = 0
                    continue
            data, matched, startIndex = apply(patterns[patternIndex], data, patternIndex, startIndex)
            if matched:
                mask = -1
            else:
                patternIndex += 1
        return data


# the shortcuts use private names of Python-Markdown's inline pass; if a release renames them, use the stock pass
PREFILTER = all(hasattr(InlineProcessor, name) for name in
                ("_InlineProcessor__handleInline", "_InlineProcessor__applyPattern",
                 "_InlineProcessor__processPlaceholders", "_InlineProcessor__build_ancestors")) \
    and isinstance(getattr(InlineProcessor(markdown.Markdown()), "_InlineProcessor__placeholder_prefix", None), str)


def _shared(make):
    """`make(*args, **options)`, built once for equal arguments (the same object is returned after that)."""
    made: dict = {}

    def shared(*args, **options):
        try:
            key = identity((args, options))
        except Uncacheable:  # an option of another kind: build it
            return make(*args, **options)
        try:
            return made[key]
        except KeyError:
            if len(made) >= 256:  # titles (filename=...) differ from block to block: keep the set small
                made.clear()
            made[key] = obj = make(*args, **options)
            return obj

    shared.made, shared.original = made, make
    return shared


def _share_pygments_objects() -> bool:
    """pymdownx.highlight makes a new Pygments lexer and HtmlFormatter for every code block, and each formatter
    rebuilds the style's whole CSS table (a fifth of a millisecond per block). Pygments keeps no state in either
    between calls (a formatter only caches its span tags), so blocks with equal options can share them.
    Returns False, changing nothing, if pymdownx no longer looks these names up in its module."""
    from pymdownx import highlight as hl

    names = ("get_lexer_by_name", "BlockHtmlFormatter", "InlineHtmlFormatter")
    if not all(callable(getattr(hl, name, None)) for name in names):
        return False
    for name in names:
        original = getattr(hl, name)
        if getattr(original, "made", None) is None:  # not already shared
            setattr(hl, name, _shared(original))
    return True


SHARED_PYGMENTS = _share_pygments_objects()


def _block_shortcuts(md) -> list[tuple[object, str]]:
    """Python-Markdown offers every block to each block processor in turn until one takes it, and most of their
    tests search the whole block with a regex that needs a character the block usually lacks (`#` for a heading,
    `>` for a quote, `[` for a reference or footnote definition, `|` for a table). Where a processor's test or
    run is exactly such a search, the same answer is given without it when the block has none of those
    characters (regexchars.necessary): about 5 % of conversion time. Processors are matched by exact type, so
    a subclass or an unknown processor keeps its own method. Returns what was replaced (processor, method name).
    tests/test_markdown_prefilter.py checks each shortcut against the stock method and whole documents."""
    from markdown.blockprocessors import BlockQuoteProcessor, ReferenceProcessor, SetextHeaderProcessor
    from markdown.extensions.admonition import AdmonitionProcessor
    from markdown.extensions.footnotes import FootnoteBlockProcessor
    from markdown.extensions.tables import TableProcessor
    from pymdownx.saneheaders import SaneHeadersProcessor

    # test() is bool(RE.search(block)) or RE.match(block), possibly `and` something else: False without a match
    searched_tests = (SaneHeadersProcessor, SetextHeaderProcessor, BlockQuoteProcessor)
    # run() pops the block, searches it with RE and, without a match, puts it back and returns False
    searched_runs = (ReferenceProcessor, FootnoteBlockProcessor)
    done: list[tuple[object, str]] = []
    for proc in md.parser.blockprocessors:
        kind = type(proc)
        regex = getattr(proc, "RE", None)
        need = necessary(regex) if isinstance(regex, re.Pattern) else None
        if kind in searched_tests and need:
            proc.test = functools.partial(_test_if_any, need, proc.test)
            done.append((proc, "test"))
        elif kind in searched_runs and need:
            proc.run = functools.partial(_run_if_any, need, proc.run)
            done.append((proc, "run"))
        elif kind is AdmonitionProcessor and need:
            # test(): RE.search(block), else whether the block continues the admonition just before it
            proc.test = functools.partial(_admonition_test, need, proc)
            done.append((proc, "test"))
        elif kind is TableProcessor:
            # a block without "|" is one cell wide and has no border: test() returns False
            proc.test = functools.partial(_test_if_any, frozenset("|"), proc.test)
            done.append((proc, "test"))
    return done


def _test_if_any(need: frozenset[str], test, parent, block: str) -> bool:
    return not need.isdisjoint(block) and test(parent, block)


def _run_if_any(need: frozenset[str], run, parent, blocks: list[str]):
    return run(parent, blocks) if not need.isdisjoint(blocks[0]) else False


def _admonition_test(need: frozenset[str], proc, parent, block: str) -> bool:
    if not need.isdisjoint(block) and proc.RE.search(block):
        return True
    return proc.parse_content(parent, block)[0] is not None


class ComponentExtension(Extension):
    def __init__(self, state: _State):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md):
        md.preprocessors.register(_Tokenize(md, self.state), "sitegen_components", 29)
        md.treeprocessors.register(_RestoreInCode(md, self.state), "sitegen_code_literal", 19)
        md.postprocessors.register(_RestoreInStash(md, self.state), "sitegen_stash_literal", 35)
        if PREFILTER:
            # the core inline pass and smarty's own second pass (it keeps its patterns in a separate registry)
            for item in list(md.treeprocessors._priority):
                stock = md.treeprocessors[item.name]
                if type(stock) is InlineProcessor:
                    fast = _PrefilteredInline(md)
                    fast.inlinePatterns = stock.inlinePatterns
                    md.treeprocessors.register(fast, item.name, item.priority)


class Converter:
    """One Markdown instance, reset between articles (never re-created: building it costs more than a page)."""

    def __init__(self) -> None:
        self.state = _State()
        self.md = markdown.Markdown(
            extensions=[*EXTENSIONS, ComponentExtension(self.state)],
            extension_configs=EXTENSION_CONFIGS,
            output_format="html",
        )
        self.toc = self.md.treeprocessors["toc"]
        self.toc_marker = self.toc.marker
        self.toc.build_toc_div = self._toc_div
        self.block_shortcuts = _block_shortcuts(self.md)

    def _toc_div(self, toc_list: list) -> etree.Element:
        """toc builds a table of contents for every text, serializes it and runs every postprocessor on it (about
        0.1 ms, 3 % of an article); we read only its tokens (md.toc_tokens). The `<div>` is built only where
        it is used: in place of a [TOC] marker."""
        if not self.toc.marker:
            return etree.Element("div")
        return type(self.toc).build_toc_div(self.toc, toc_list)

    def _convert(self, text: str, line_offset: int, head: tuple[int, int] = (0, 0)) -> str:
        self.md.reset()
        self.state.line_offset, self.state.head = line_offset, head
        # toc looks for a paragraph that is exactly its marker ([TOC]) in every element of the tree; a marker that
        # is not in the source cannot be in the tree (escapes and entities are still placeholders then), so the
        # search is switched off for that text
        self.toc.marker = self.toc_marker if self.toc_marker and self.toc_marker in text else ""
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

    def convert(self, path: str, body: str, body_line: int, quick_answer: str | None,
                qa_line: int) -> tuple[Converted, Body, list[Problem]]:
        state = self.state
        state.path, state.calls, state.problems, state.literal = path, [], [], set()
        qa_html = ""
        html_out = None
        if quick_answer:
            # every call in the folded front-matter value is reported at the field's line
            qa_text = CALL_RE.sub(lambda m: m.group(0).replace("\n", " "), " ".join(quick_answer.splitlines()))
            if mergeable_head(qa_text) and body.strip():
                merged = self._convert_with_head(qa_text, qa_line, body, body_line)
                if merged is not None:
                    qa_html, html_out = merged
            if html_out is None:
                qa_html = self._convert(qa_text, qa_line - 1)
        if html_out is None:
            html_out = self._convert(body, body_line - 1)
        headings = tuple(_flatten(self.md.toc_tokens))
        plain = TAG_RE.sub(" ", TOKEN_RE.sub(" ", qa_html + " " + html_out))
        words = len(html.unescape(plain).split())
        # only the calls that stayed outside code are components: read them now (the literal text is needed only
        # while converting, to restore calls in code: dropped, it saves memory)
        calls = []
        for c in state.calls:
            if c.token in state.literal:
                continue
            parsed = parse_call(c.source[2:-2].strip())
            if isinstance(parsed, str):
                state.problems.append(Problem(path, c.line, parsed))
                continue
            calls.append(replace(c, name=sys.intern(parsed[0]), args=parsed[1],
                                 block=f"<p>{c.token}</p>" in html_out, source=""))
        calls = tuple(calls)
        faq = tuple((anchor, html_to_text(answer)) for anchor, answer in faq_sections(html_out, headings))
        return Converted(calls, headings, words), Body(html_out, qa_html, faq), list(state.problems)


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
    from pymdownx.__meta__ import __version__ as pymdownx_version

    return repr((EXTENSIONS, sorted(EXTENSION_CONFIGS.items()), markdown.__version__, pymdownx_version,
                 pygments.__version__))
