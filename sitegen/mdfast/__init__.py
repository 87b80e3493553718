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

import os
from dataclasses import dataclass, field
from typing import Callable

import markdown

from .blocks import _blocks_internals, _install_blocks
from .highlight import _pygments_internals, share_pygments, unshare_pygments
from . import highlight as _highlight
from .inline import _inline_internals, _install_inline
from .toc import _install_toc, _toc_internals

NAMES = ("inline", "blocks", "toc", "pygments")
ENV = "SITEGEN_NO_SHORTCUTS"

ACTIVE: frozenset[str] = frozenset()  # set by check()
REASONS: dict[str, str] = {}  # shortcut -> why it is not installed


def _pygments_used() -> bool:
    return _highlight._pygments_used()


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
