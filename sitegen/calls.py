"""Component calls as Markdown writes them: `{{ name("arg", key=1) }}` read into a name and literal arguments
(`parse_call`), and a Markdown image of a file under static/images/ read as a call of the picture component
(`image_call`). Whether the component exists and takes these arguments is checked against the site's
components (assemble)."""

from __future__ import annotations

import functools
import re

import jinja2
from jinja2 import nodes

from .limits import MAX_CALL_CHARS, MAX_CALL_NESTING

# A Markdown image of a file under static/images/ (`![alt](/images/team.jpg "title")`) becomes a call of the site's
# picture component (images.COMPONENT), tokenized like `{{ picture("/images/team.jpg", "alt", "title") }}`: its
# markup is the site's, and converted Markdown stays independent of the image files. Other images stay `<img>`.
IMAGE_RE = re.compile(r'!\[((?:\\.|[^\[\]\\\n])*)\]\(\s*(/images/[^\s()<>"]+)(?:\s+"((?:\\.|[^"\\\n])*)")?\s*\)')
MD_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")

_jinja = jinja2.Environment(autoescape=True)


ARGUMENTS_HINT = 'arguments are literal values: "text", 12, 3.5, true, false, none or [lists of these]'


def _literal(node: nodes.Node):
    """A call's argument as a value: a constant, or a list of constants (as a tuple), else ValueError."""
    if isinstance(node, nodes.Const) and (node.value is None or isinstance(node.value, (str, int, float, bool))):
        return node.value
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return tuple(_literal(item) for item in node.items)
    if isinstance(node, nodes.Neg) and isinstance(node.node, nodes.Const) and isinstance(node.node.value, (int, float)) \
            and not isinstance(node.node.value, bool):
        return -node.node.value
    raise ValueError(node)


@functools.lru_cache(maxsize=4096)
def parse_call(source: str) -> tuple[str, tuple, tuple] | str:
    """`price("basic")` -> ("price", ("basic",), ()); keyword arguments come third as (name, value)
    pairs. A message string when it is not a component call with literal arguments. Only calls outside code get
    here (the tokenizer leaves code alone), so only they can be errors; whether the component exists and takes
    these arguments is checked against the site's components (assemble)."""
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
        return f"{{{{ {source} }}}} is not a component call; write it like {{{{ name(\"argument\") }}}}"
    name = expr.node.name
    if expr.dyn_args or expr.dyn_kwargs:
        return f"component {name}(): {ARGUMENTS_HINT}"
    try:
        args = tuple(_literal(a) for a in expr.args)
        kwargs = tuple((k.key, _literal(k.value)) for k in expr.kwargs)
    except ValueError:
        return f"component {name}(): {ARGUMENTS_HINT}"
    return name, args, kwargs


def image_call(source: str) -> tuple[str, tuple, tuple]:
    """`![alt](/images/x.jpg "title")` -> ("picture", ("/images/x.jpg", "alt", "title")) (no title: two arguments);
    backslash escapes are read as Markdown reads them."""
    m = IMAGE_RE.fullmatch(source)
    assert m is not None, source  # the tokenizer matched it
    alt, src, title = (MD_ESCAPE_RE.sub(r"\1", part) if part else part for part in m.groups())
    return "picture", (src, alt) if title is None else (src, alt, title), ()
