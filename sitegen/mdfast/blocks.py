"""The `blocks` shortcut: block processors' tests and runs skip a regex search that cannot match the block."""

from __future__ import annotations

import functools
import re


from ..regexchars import necessary
from ._util import _params


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
