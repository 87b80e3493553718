"""The `inline` shortcut: Python-Markdown's inline passes skip patterns that cannot match a text (see the
package's docstring for what it relies on and how it is checked)."""

from __future__ import annotations

import types
import xml.etree.ElementTree as etree

import markdown
from markdown.inlinepatterns import InlineProcessor as _NewStylePattern
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

from ..regexchars import necessary
from ._util import _params


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
