"""Conversion speed shortcuts that reach into Python-Markdown's and pymdown-extensions' private or undocumented
internals: all of them live here, and none is installed unless a start-up self-check passes.

- `inline`: the inline passes skip patterns that cannot match a text (regexchars.necessary) and put back texts in
  which no pattern left a placeholder. Relies on InlineProcessor's name-mangled `__handleInline`, `__applyPattern`,
  `__processPlaceholders`, `__build_ancestors` and `__placeholder_prefix`, and on its `run` as of Python-Markdown 3.x.
- `blocks`: block processors' tests and runs skip a regex search that cannot match the block. Relies on the
  classes of the core, footnotes, tables, admonition and saneheaders processors, their `RE`, the signatures of
  their `test`/`run`, and admonition's `parse_content`.
- `toc`: toc builds its `<div>` only for a `[TOC]` marker, and looks for the marker only in texts that contain it.
  Relies on TocTreeprocessor's `marker` and `build_toc_div`.
- `pygments`: code blocks with equal options share one Pygments lexer and formatter. Relies on pymdownx.highlight
  looking up `get_lexer_by_name`, `BlockHtmlFormatter` and `InlineHtmlFormatter` as module globals.

The self-check (`check()`, once per process, at the first `install()`) verifies for each shortcut that the names
exist with the signatures it was written against, then converts a small corpus (`CORPUS`) with a stock Markdown
instance and with the shortcuts, and compares the HTML and the toc tokens byte for byte. A shortcut whose names or
bytes differ is not installed: that part of the conversion takes the stock path (slower, the same bytes).
`SITEGEN_NO_SHORTCUTS=1` installs none. `ACTIVE` names the shortcuts in use, `REASONS` why the others are off.
The check costs about 20 ms per process (two more Markdown instances and the corpus converted twice).

Because every shortcut gives the stock bytes, the converted-article store's key (markdown_ext.config_fingerprint)
does not depend on which are active. tests/test_mdfast.py forces each fallback and compares whole corpora.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import types
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from typing import Callable

import markdown
from markdown.inlinepatterns import InlineProcessor as _NewStylePattern
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

from .identity import Uncacheable, identity
from .regexchars import necessary

NAMES = ("inline", "blocks", "toc", "pygments")
ENV = "SITEGEN_NO_SHORTCUTS"

ACTIVE: frozenset[str] = frozenset()  # set by check()
REASONS: dict[str, str] = {}  # shortcut -> why it is not installed


def _params(func) -> list[str] | None:
    try:
        return list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return None


# -- inline: the prefiltered inline pass ---------------------------------------------------------------------------

# name-mangled methods of markdown.treeprocessors.InlineProcessor and the parameters they were tested with
_INLINE_METHODS = {
    "run": ["self", "tree", "ancestors"],
    "_InlineProcessor__handleInline": ["self", "data", "patternIndex"],
    "_InlineProcessor__applyPattern": ["self", "pattern", "data", "patternIndex", "startIndex"],
    "_InlineProcessor__processPlaceholders": ["self", "data", "parent", "isText"],
    "_InlineProcessor__build_ancestors": ["self", "parent", "parents"],
}


def _inline_internals() -> str | None:
    """None when InlineProcessor has what the shortcut uses, else what is missing."""
    for name, params in _INLINE_METHODS.items():
        method = getattr(InlineProcessor, name, None)
        if not callable(method):
            return f"InlineProcessor.{name} is missing"
        if _params(method) != params:
            return f"InlineProcessor.{name}{_params(method)} differs from the tested {params}"
    probe = InlineProcessor(markdown.Markdown())
    if not isinstance(getattr(probe, "_InlineProcessor__placeholder_prefix", None), str):
        return "InlineProcessor has no string _InlineProcessor__placeholder_prefix"
    if not callable(getattr(_NewStylePattern, "getCompiledRegExp", None)):
        return "markdown.inlinepatterns.InlineProcessor.getCompiledRegExp is missing"
    return None


class _FastInline:
    """Python-Markdown's inline pass, with one shortcut: a pattern that cannot match the text is skipped. The
    functions are bound onto a stock InlineProcessor instance (its registry entry stays as it is).

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
    text nodes skip it.
    """

    @staticmethod
    def run(self, tree, ancestors=None):
        patterns = tuple(self.inlinePatterns)
        if patterns != self._sg_plan_for:  # the same patterns in every conversion (compared by identity): plan once
            self._sg_plan = _make_plan(list(patterns))
            self._sg_plan_for = patterns
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

    @staticmethod
    def handle_inline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, AtomicString):
            return data
        patterns, searches, probes, always, by_char, keys = self._sg_plan
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


_INLINE_BOUND = {"run": _FastInline.run, "_InlineProcessor__handleInline": _FastInline.handle_inline}


def _install_inline(md) -> list[tuple[object, str]]:
    """The core inline pass and smarty's own second pass (it keeps its patterns in a separate registry): every
    treeprocessor that is exactly a stock InlineProcessor (found through the registry's public iteration)."""
    done = []
    for proc in list(md.treeprocessors):
        if type(proc) is InlineProcessor:
            proc._sg_plan_for, proc._sg_plan = (), None
            for name, func in _INLINE_BOUND.items():
                setattr(proc, name, types.MethodType(func, proc))
                done.append((proc, name))
    return done


# -- blocks: block processors' searches ------------------------------------------------------------------------------

def _block_classes() -> dict[str, type]:
    from markdown.blockprocessors import BlockQuoteProcessor, ReferenceProcessor, SetextHeaderProcessor
    from markdown.extensions.admonition import AdmonitionProcessor
    from markdown.extensions.footnotes import FootnoteBlockProcessor
    from markdown.extensions.tables import TableProcessor
    from pymdownx.saneheaders import SaneHeadersProcessor

    return {"SaneHeadersProcessor": SaneHeadersProcessor, "SetextHeaderProcessor": SetextHeaderProcessor,
            "BlockQuoteProcessor": BlockQuoteProcessor, "ReferenceProcessor": ReferenceProcessor,
            "FootnoteBlockProcessor": FootnoteBlockProcessor, "AdmonitionProcessor": AdmonitionProcessor,
            "TableProcessor": TableProcessor}


# test() is bool(RE.search(block)) or RE.match(block), possibly `and` something else: False without a match
_SEARCHED_TESTS = ("SaneHeadersProcessor", "SetextHeaderProcessor", "BlockQuoteProcessor")
# run() pops the block, searches it with RE and, without a match, puts it back and returns False
_SEARCHED_RUNS = ("ReferenceProcessor", "FootnoteBlockProcessor")


def _blocks_internals() -> str | None:
    try:
        classes = _block_classes()
    except ImportError as exc:
        return f"a block processor class is not importable: {exc}"
    for name, cls in classes.items():
        method = "run" if name in _SEARCHED_RUNS else "test"
        want = ["self", "parent", "blocks" if method == "run" else "block"]
        if _params(getattr(cls, method, None)) != want:
            return f"{name}.{method} does not take {want}"
    if _params(getattr(classes["AdmonitionProcessor"], "parse_content", None)) != ["self", "parent", "block"]:
        return "AdmonitionProcessor.parse_content does not take (self, parent, block)"
    return None


def _install_blocks(md) -> list[tuple[object, str]]:
    """Python-Markdown offers every block to each block processor in turn until one takes it, and most of their
    tests search the whole block with a regex that needs a character the block usually lacks (`#` for a heading,
    `>` for a quote, `[` for a reference or footnote definition, `|` for a table). Where a processor's test or
    run is exactly such a search, the same answer is given without it when the block has none of those
    characters (regexchars.necessary): about 5 % of conversion time. Processors are matched by exact type, so
    a subclass or an unknown processor keeps its own method. Returns what was replaced (processor, method name)."""
    classes = {cls: name for name, cls in _block_classes().items()}
    done: list[tuple[object, str]] = []
    for proc in md.parser.blockprocessors:
        kind = classes.get(type(proc))
        if kind is None:
            continue
        regex = getattr(proc, "RE", None)
        need = necessary(regex) if isinstance(regex, re.Pattern) else None
        if kind in _SEARCHED_TESTS and need:
            proc.test = functools.partial(_test_if_any, need, proc.test)
            done.append((proc, "test"))
        elif kind in _SEARCHED_RUNS and need:
            proc.run = functools.partial(_run_if_any, need, proc.run)
            done.append((proc, "run"))
        elif kind == "AdmonitionProcessor" and need:
            # test(): RE.search(block), else whether the block continues the admonition just before it
            proc.test = functools.partial(_admonition_test, need, proc)
            done.append((proc, "test"))
        elif kind == "TableProcessor":
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


# -- toc: the table of contents only where a marker asks for it --------------------------------------------------------

def _toc_internals() -> str | None:
    from markdown.extensions.toc import TocTreeprocessor

    if _params(getattr(TocTreeprocessor, "build_toc_div", None)) != ["self", "toc_list"]:
        return "TocTreeprocessor.build_toc_div does not take (self, toc_list)"
    if _params(getattr(TocTreeprocessor, "run", None)) != ["self", "doc"]:
        return "TocTreeprocessor.run does not take (self, doc)"
    return None


class _TocMarker(Preprocessor):
    """toc looks for a paragraph that is exactly its marker ([TOC]) in every element of the tree; a marker that is
    not in the text cannot be in the tree (escapes and entities are still placeholders then), so the search is
    switched off for that text. Runs right after normalize_whitespace, on the text toc's tree is made from (a
    marker cannot span lines)."""

    def __init__(self, md, toc, marker: str):
        super().__init__(md)
        self.toc, self.marker = toc, marker

    def run(self, lines):
        marker = self.marker
        self.toc.marker = marker if any(marker in line for line in lines) else ""
        return lines


def _toc_div(toc, toc_list: list) -> etree.Element:
    """toc builds a table of contents for every text, serializes it and runs every postprocessor on it (about
    0.1 ms, 3 % of an article); we read only its tokens (md.toc_tokens, toc's documented output). The `<div>` is
    built only where it is used: in place of a [TOC] marker. (md.toc is then an empty div: sitegen never reads it.)"""
    if not toc.marker:
        return etree.Element("div")
    return type(toc).build_toc_div(toc, toc_list)


def _install_toc(md) -> list[tuple[object, str]]:
    from markdown.extensions.toc import TocTreeprocessor

    toc = md.treeprocessors["toc"] if "toc" in md.treeprocessors else None
    if type(toc) is not TocTreeprocessor or not isinstance(getattr(toc, "marker", None), str):
        return []
    done: list[tuple[object, str]] = [(toc, "build_toc_div")]
    toc.build_toc_div = functools.partial(_toc_div, toc)
    if toc.marker:
        # between normalize_whitespace (30) and everything else of ours (sitegen_components is 29)
        md.preprocessors.register(_TocMarker(md, toc, toc.marker), "sitegen_toc_marker", 29.5)
        done.append((md.preprocessors, "sitegen_toc_marker"))
    return done


# -- pygments: lexers and formatters shared between code blocks -------------------------------------------------------

_PYGMENTS_NAMES = ("get_lexer_by_name", "BlockHtmlFormatter", "InlineHtmlFormatter")


def _pygments_internals() -> str | None:
    try:
        from pymdownx import highlight as hl
    except ImportError as exc:  # pragma: no cover - a declared dependency
        return f"pymdownx.highlight is not importable: {exc}"
    for name in _PYGMENTS_NAMES:
        if not callable(getattr(hl, name, None)):
            return f"pymdownx.highlight.{name} is missing"
    return None


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


def share_pygments() -> None:
    """pymdownx.highlight makes a new Pygments lexer and HtmlFormatter for every code block, and each formatter
    rebuilds the style's whole CSS table (a fifth of a millisecond per block). Pygments keeps no state in either
    between calls (a formatter only caches its span tags), so blocks with equal options can share them. This
    replaces module globals of pymdownx.highlight, so it applies to every Markdown instance of the process."""
    from pymdownx import highlight as hl

    for name in _PYGMENTS_NAMES:
        original = getattr(hl, name)
        if getattr(original, "made", None) is None:  # not already shared
            setattr(hl, name, _shared(original))


def unshare_pygments() -> None:
    """pymdownx.highlight's own globals again."""
    from pymdownx import highlight as hl

    for name in _PYGMENTS_NAMES:
        original = getattr(getattr(hl, name, None), "original", None)
        if original is not None:
            setattr(hl, name, original)


def _pygments_used() -> bool:
    from pymdownx import highlight as hl

    return all(getattr(getattr(hl, name), "made", None) for name in ("get_lexer_by_name", "BlockHtmlFormatter"))


# -- the self-check and installation ----------------------------------------------------------------------------------

_INTERNALS: dict[str, Callable[[], str | None]] = {
    "inline": _inline_internals, "blocks": _blocks_internals, "toc": _toc_internals, "pygments": _pygments_internals,
}
_INSTALLERS = {"inline": _install_inline, "blocks": _install_blocks, "toc": _install_toc}

# Texts that exercise every shortcut: inline patterns of the core and smarty, each searched block kind, a table
# of contents with and without a marker, and code blocks (the same options twice).
CORPUS = (
    "Plain words only, nothing to match.",
    "\"Double\" and 'single' quotes, it's the '90s -- en --- em... <<angles>> and &amp; &copy; & alone.",
    "*em* **strong** ***both*** _u_ __uu__ a*b*c snake_case ~~del~~ ~sub~ `code *x*` and \\* \\[ escapes  \nbreak",
    "[link](/x/ \"t\") [ref][r] [short] ![img](/i.png) <https://example.com/a?b=c&d=e> <me@example.com> "
    "www.example.org and https://example.com/p, someone@example.com\n\n[r]: /ref/\n[short]: /s/",
    "# One\n\n## Is it a 'question'? {#custom-id}\n\nSetext\n===\n\nOther\n---\n\n### Deep\n\n> quoted *x*\n> more\n\n"
    "Text\n> lazy\n\n| a | 'b' |\n|---|---|\n| *c* | \"d\" |\n\na | b\n--|--\nc | d\n\nNote[^1].\n\n[^1]: The *note*.",
    "!!! note \"Admonition 'title'\"\n    Body with *em*.\n\n    More body.\n\n- [ ] open 'task'\n- [x] done\n\n"
    "1. one\n2. two <b>html</b>\n\n    indented code 'kept'\n\n<div>raw *block*</div>\n\nAfter.",
    "[TOC]\n\n## First?\n\nAnswer.\n\n## Second\n\n### Third\n\nMore.",
    "Escaped \\[TOC\\] and &#91;TOC&#93; and `[TOC]` and inline [TOC] text.\n\n## H?\n\nx\n\n  [TOC]  \n\n- [TOC]\n",
    "```python\ndef f(x):\n    return x + 1  # one\n```\n\n```python hl_lines=\"1\" linenums=\"3\"\na = 1\n```\n\n"
    "```python\nprint('again')\n```\n\n```nolang\n<b>x</b>\n```\n\nInline `#!python len(\"x\")` and `code`.\n\n"
    "- In a list:\n\n    ```bash\n    make build\n    ```",
)


def _convert_all(md) -> list[tuple[str, str]]:
    out = []
    for text in CORPUS:
        md.reset()
        html = md.convert(text)
        out.append((html, repr(getattr(md, "toc_tokens", None))))
    return out


def _apply(md, names) -> dict[str, list]:
    return {name: _INSTALLERS[name](md) for name in names if name in _INSTALLERS}


def check(make: Callable[[], markdown.Markdown]) -> frozenset[str]:
    """Which shortcuts pass the self-check (sets ACTIVE and REASONS); `make()` builds a stock Markdown instance
    configured as the site's. Installs the pygments sharing when it passes, removes it when not."""
    global ACTIVE
    REASONS.clear()
    if os.environ.get(ENV, "") not in ("", "0"):
        unshare_pygments()
        REASONS.update({name: f"{ENV} is set" for name in NAMES})
        ACTIVE = frozenset()
        return ACTIVE
    candidates = []
    for name in NAMES:
        try:
            problem = _INTERNALS[name]()
        except Exception as exc:  # noqa: BLE001 - any surprise in another library's internals: the stock path
            problem = f"self-check failed: {exc!r}"
        if problem is None:
            candidates.append(name)
        else:
            REASONS[name] = problem
    unshare_pygments()
    try:
        stock = _convert_all(make())
    except Exception as exc:  # noqa: BLE001 - stock conversion failing is not ours to judge: no shortcuts
        REASONS.update({name: f"stock conversion of the self-check corpus failed: {exc!r}" for name in candidates})
        ACTIVE = frozenset()
        return ACTIVE

    def same(names) -> str | None:
        try:
            if "pygments" in names:
                share_pygments()
            md = make()
            _apply(md, names)
            out = _convert_all(md)
            if "pygments" in names and not _pygments_used():
                return "pymdownx.highlight no longer builds lexers and formatters through its module globals"
        except Exception as exc:  # noqa: BLE001
            return f"conversion with it failed: {exc!r}"
        finally:
            unshare_pygments()
        if out != stock:
            return "the self-check corpus converts to different bytes with it"
        return None

    passed = set(candidates)
    if candidates and same(candidates) is not None:  # find the culprit(s): each on its own
        for name in candidates:
            problem = same([name])
            if problem is not None:
                passed.discard(name)
                REASONS[name] = problem
        if passed and same(sorted(passed)) is not None:  # fine alone, not together: play safe
            for name in passed:
                REASONS[name] = "differs from the stock bytes in combination with the other shortcuts"
            passed = set()
    if "pygments" in passed:
        share_pygments()
    ACTIVE = frozenset(passed)
    return ACTIVE


_checked: list[frozenset[str]] = []


def active(make: Callable[[], markdown.Markdown]) -> frozenset[str]:
    """The self-check's result, computed once per process."""
    if not _checked:
        _checked.append(check(make))
    return _checked[0]


def reset() -> None:
    """Forget the self-check (tests): the next install() checks again, under the environment of then."""
    global ACTIVE
    _checked.clear()
    ACTIVE = frozenset()
    REASONS.clear()
    unshare_pygments()


@dataclass
class Installed:
    """What install() did to one Markdown instance."""

    names: frozenset[str] = frozenset()
    replaced: dict[str, list] = field(default_factory=dict)  # shortcut -> [(object, attribute or name)]

    @property
    def blocks(self) -> list[tuple[object, str]]:
        return self.replaced.get("blocks", [])


def install(md, make: Callable[[], markdown.Markdown]) -> Installed:
    """Install on `md` every shortcut that passed the self-check (run now if it has not run in this process)."""
    names = active(make)
    return Installed(names, _apply(md, names))


def describe() -> str:
    """One line for `build -v` and the benchmark."""
    on = ", ".join(n for n in NAMES if n in ACTIVE) or "none"
    reasons = {REASONS[n] for n in NAMES if n in REASONS}
    if len(reasons) == 1 and not ACTIVE:
        return f"conversion shortcuts: none ({reasons.pop()})"
    off = "; ".join(f"{n} off: {REASONS[n]}" for n in NAMES if n in REASONS)
    return f"conversion shortcuts: {on}" + (f" ({off})" if off else "")
