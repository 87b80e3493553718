"""The `toc` shortcut: toc builds its `<div>` only for a `[TOC]` marker."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as etree

from markdown.preprocessors import Preprocessor

from ._util import _params


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
