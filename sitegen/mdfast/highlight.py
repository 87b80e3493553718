"""The `pygments` shortcut: code blocks with equal options share one Pygments lexer and formatter."""

from __future__ import annotations



from ..identity import Uncacheable, identity


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
