"""mdfast's self-check and fallbacks: with any shortcut off (SITEGEN_NO_SHORTCUTS=1, internals that are not what
was tested, a shortcut that would change a byte) conversion takes the stock path and gives exactly the same bytes."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import pytest
from markdown.treeprocessors import InlineProcessor

from conftest import REPO
from sitegen import markdown_ext, mdfast, yamlutil
from sitegen.content import split_front_matter

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_self_check():
    """Each test starts from a new self-check and leaves the process's normal one behind."""
    mdfast.reset()
    yield
    mdfast.reset()
    os.environ.pop(mdfast.ENV, None)
    assert mdfast.active(markdown_ext.make_markdown) == set(mdfast.NAMES), mdfast.describe()


def _documents(tmp_path, n: int = 200) -> list[tuple[str, str, int, str | None, int]]:
    """(path, body, body line, quick answer, its line) of a generated corpus, the real site and the fixtures."""
    generate.generate(n, tmp_path / "site", seed=23)
    paths = sorted((tmp_path / "site" / "content").glob("*.md")) + sorted((REPO / "content").glob("*.md"))
    paths += sorted((REPO / "tests" / "fixtures").rglob("*.md"))
    docs = []
    for path in paths:
        try:
            front, body, body_line = split_front_matter(path.read_text(encoding="utf-8"), path.name)
            meta, lines = yamlutil.load(front, line_offset=1)
        except Exception:  # noqa: BLE001 - a fixture of a broken article: its body alone
            front, body, body_line, meta, lines = "", path.read_text(encoding="utf-8"), 1, {}, {}
        qa = meta.get("quick_answer") if isinstance(meta, dict) else None
        line = lines.get(("quick_answer",), 1) if isinstance(lines, dict) else 1
        docs.append((path.name, body, body_line, [["quick_answer", qa, line]] if isinstance(qa, str) and qa else []))
    assert len(docs) > n
    return docs


def _convert(conv: markdown_ext.Converter, docs) -> list[str]:
    return [repr(conv.convert(*doc)) for doc in docs]


def test_the_environment_variable_forces_the_stock_path_in_a_real_process(tmp_path):
    """A build process with SITEGEN_NO_SHORTCUTS=1 converts the corpus to the bytes this one gets with every
    shortcut on, and the store key (config_fingerprint) is the same."""
    docs = _documents(tmp_path)
    fast_conv = markdown_ext.Converter()
    assert fast_conv.shortcuts.names == set(mdfast.NAMES), mdfast.describe()
    fast = _convert(fast_conv, docs)
    (tmp_path / "docs.json").write_text(json.dumps(docs), encoding="utf-8")
    script = (
        "import json, sys\n"
        "from sitegen import markdown_ext, mdfast\n"
        "docs = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        "conv = markdown_ext.Converter()\n"
        "from pymdownx import highlight\n"
        "assert conv.shortcuts.names == frozenset() == mdfast.ACTIVE, mdfast.describe()\n"
        "assert not hasattr(highlight.BlockHtmlFormatter, 'made')\n"
        "out = [repr(conv.convert(*doc)) for doc in docs]\n"
        "json.dump({'out': out, 'key': markdown_ext.config_fingerprint()}, open(sys.argv[2], 'w', encoding='utf-8'))\n"
    )
    env = dict(os.environ, **{mdfast.ENV: "1"})
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "docs.json"), str(tmp_path / "out.json")],
                   check=True, env=env, cwd=REPO)
    stock = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert stock["key"] == markdown_ext.config_fingerprint()
    assert len(stock["out"]) == len(fast)
    for doc, a, b in zip(docs, fast, stock["out"]):
        assert a == b, doc[0]


def test_the_environment_variable_in_process(monkeypatch):
    monkeypatch.setenv(mdfast.ENV, "1")
    conv = markdown_ext.Converter()
    assert conv.shortcuts.names == frozenset() == mdfast.ACTIVE
    assert all("SITEGEN_NO_SHORTCUTS" in mdfast.REASONS[n] for n in mdfast.NAMES)
    assert "run" not in vars(conv.md.treeprocessors["inline"])
    assert "sitegen_toc_marker" not in conv.md.preprocessors
    assert mdfast.describe().startswith("conversion shortcuts: none")


def _reshaped(monkeypatch, owner, name: str) -> None:
    """Give owner.name another signature (same behaviour): internals that are not what was tested."""
    original = inspect.getattr_static(owner, name)

    def reshaped(*args, _new_parameter=None, **kwargs):
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, reshaped)


def _hidden_handle_inline(monkeypatch):
    _reshaped(monkeypatch, InlineProcessor, "_InlineProcessor__applyPattern")


def _hidden_block_test(monkeypatch):
    from markdown.blockprocessors import BlockQuoteProcessor
    _reshaped(monkeypatch, BlockQuoteProcessor, "test")


def _hidden_toc_div(monkeypatch):
    from markdown.extensions.toc import TocTreeprocessor
    _reshaped(monkeypatch, TocTreeprocessor, "build_toc_div")


def _hidden_highlight_global(monkeypatch):
    from pymdownx import highlight
    monkeypatch.setattr(highlight, "get_lexer_by_name", None)  # looked up elsewhere now (as far as we can tell)


@pytest.mark.parametrize("name, break_it", [
    ("inline", _hidden_handle_inline), ("blocks", _hidden_block_test), ("toc", _hidden_toc_div),
])
def test_internals_not_as_tested_leave_that_shortcut_out(monkeypatch, tmp_path, name, break_it):
    docs = _documents(tmp_path, 40)
    reference = _convert(markdown_ext.Converter(shortcuts=False), docs)
    mdfast.reset()
    break_it(monkeypatch)
    conv = markdown_ext.Converter()
    assert conv.shortcuts.names == set(mdfast.NAMES) - {name}, mdfast.describe()
    assert "differs from the tested" in mdfast.REASONS[name] or "does not take" in mdfast.REASONS[name]
    assert f"{name} off:" in mdfast.describe()
    assert _convert(conv, docs) == reference


def test_a_missing_highlight_global_leaves_pygments_sharing_out(monkeypatch):
    _hidden_highlight_global(monkeypatch)
    assert mdfast.check(markdown_ext.make_markdown) == set(mdfast.NAMES) - {"pygments"}
    assert "get_lexer_by_name is missing" in mdfast.REASONS["pygments"]


def test_highlight_that_no_longer_uses_its_globals_leaves_pygments_sharing_out(monkeypatch):
    # pymdownx builds lexers some other way: sharing our copies of its globals would do nothing
    monkeypatch.setattr(mdfast._highlight, "_pygments_used", lambda: False)
    assert mdfast.check(markdown_ext.make_markdown) == set(mdfast.NAMES) - {"pygments"}
    assert "module globals" in mdfast.REASONS["pygments"]


def test_a_shortcut_that_would_change_bytes_is_not_installed(monkeypatch, tmp_path):
    """The self-check converts its corpus both ways: an inline shortcut that skips a pattern it must not (here,
    every emphasis pattern) is caught and left out, and conversion gives the stock bytes."""
    docs = _documents(tmp_path, 40)
    reference = _convert(markdown_ext.Converter(shortcuts=False), docs)
    mdfast.reset()
    make_plan = mdfast.inline._make_plan

    def wrong_plan(patterns):
        patterns, searches, probes, always, by_char, keys = make_plan(patterns)
        by_char = {c: bits for c, bits in by_char.items() if c not in "*_"}
        return patterns, searches, probes, always, by_char, frozenset(by_char)

    monkeypatch.setattr(mdfast.inline, "_make_plan", wrong_plan)
    conv = markdown_ext.Converter()
    assert conv.shortcuts.names == set(mdfast.NAMES) - {"inline"}, mdfast.describe()
    assert "different bytes" in mdfast.REASONS["inline"]
    assert _convert(conv, docs) == reference


def test_a_failing_shortcut_is_not_installed(monkeypatch):
    def broken(md):
        raise AttributeError("renamed")

    monkeypatch.setitem(mdfast._INSTALLERS, "toc", broken)
    assert mdfast.check(markdown_ext.make_markdown) == set(mdfast.NAMES) - {"toc"}
    assert "renamed" in mdfast.REASONS["toc"]


def test_the_store_key_does_not_depend_on_the_shortcuts(monkeypatch):
    key = markdown_ext.config_fingerprint()
    monkeypatch.setenv(mdfast.ENV, "1")
    markdown_ext.Converter()
    assert markdown_ext.config_fingerprint() == key


@pytest.mark.parametrize("name", ["_InlineProcessor__handleInline", "_InlineProcessor__applyPattern",
                                  "_InlineProcessor__processPlaceholders", "_InlineProcessor__build_ancestors"])
def test_a_private_name_that_is_gone_is_reported(monkeypatch, name):
    # (stock Python-Markdown itself calls these, so a release without them renames its callers too: the shortcut's
    # check is what must notice)
    monkeypatch.delattr(InlineProcessor, name)
    assert mdfast._inline_internals() == f"InlineProcessor.{name} is missing"


def test_a_placeholder_prefix_that_is_gone_is_reported(monkeypatch):
    init = InlineProcessor.__init__

    def without_prefix(self, md):
        init(self, md)
        del self._InlineProcessor__placeholder_prefix

    monkeypatch.setattr(InlineProcessor, "__init__", without_prefix)
    assert "placeholder_prefix" in mdfast._inline_internals()


def test_a_missing_block_processor_class_is_reported(monkeypatch):
    from markdown.extensions import tables

    monkeypatch.delattr(tables, "TableProcessor")
    assert "not importable" in mdfast._blocks_internals()
