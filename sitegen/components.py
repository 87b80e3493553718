"""Components: `templates/components/<name>.html` defines `{% macro <name>(...) %}`, and Markdown calls it as
`{{ <name>(...) }}`. This module finds them, reads each macro's signature (through Jinja's parser: the AST is
Jinja's public extension API) and checks calls against it, and gives a component what it sees of its caller
(`page`) and `fail()`. Rendering is the Renderer's (render.py).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes

from .errors import Problem
from .limits import MAX_DATA_BYTES
from .model import Article, Component

FOLDER = "components"


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[str, ...]
    defaults: tuple[str, ...]  # the written defaults of the last len(defaults) parameters
    varargs: bool = False  # the body reads `varargs`: extra positional arguments are allowed
    kwargs: bool = False  # the body reads `kwargs`: extra keyword arguments are allowed

    def text(self) -> str:
        first = len(self.params) - len(self.defaults)
        parts = [p if i < first else f"{p}={self.defaults[i - first]}" for i, p in enumerate(self.params)]
        return f"{self.name}({', '.join(parts + (['...'] if self.varargs or self.kwargs else []))})"

    def problems(self, call: Component) -> list[str]:
        """What is wrong with a call's arguments, as messages that quote the signature."""
        said = f"component {self.name}()"
        quote = f"(the signature is {self.text()})"
        out = []
        if len(call.args) > len(self.params) and not self.varargs:
            most = len(self.params)
            out.append(f"{said} takes at most {most} argument{'s' if most != 1 else ''}, got {len(call.args)} {quote}")
        given = set(self.params[: len(call.args)])
        for key, _value in call.kwargs:
            if key in given:
                out.append(f"{said}: argument '{key}' given twice {quote}")
            elif key not in self.params and not self.kwargs:
                out.append(f"{said}: unexpected argument '{key}' {quote}")
            given.add(key)
        required = self.params[: len(self.params) - len(self.defaults)]
        missing = [p for p in required if p not in given]
        if missing:
            names = ", ".join(f"'{m}'" for m in missing)
            out.append(f"{said}: missing argument{'s' if len(missing) > 1 else ''} {names} {quote}")
        return out


def _written(node: nodes.Node) -> str:
    if isinstance(node, nodes.Const):
        value = node.value
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return '"' + value.replace('"', '\\"') + '"'
        return repr(value)
    if isinstance(node, (nodes.List, nodes.Tuple)):
        inner = ", ".join(_written(item) for item in node.items)
        return f"[{inner}]" if isinstance(node, nodes.List) else f"({inner})"
    return "..."


def signature_of(tree: nodes.Template, name: str) -> Signature | None:
    for macro in tree.find_all(nodes.Macro):
        if macro.name == name:
            read = {n.name for n in macro.find_all(nodes.Name) if n.ctx == "load"}
            return Signature(name, tuple(a.name for a in macro.args), tuple(_written(d) for d in macro.defaults),
                             "varargs" in read, "kwargs" in read)
    return None


class ComponentFailure(Exception):
    """`fail("message")` in a component: reported against the line that calls it."""


def fail(message: object) -> None:
    raise ComponentFailure(str(message))


class CallerPage:
    """`page` inside a component: the article or page that calls it (its fields, its front matter, and the HTML of
    its Markdown fields). The Renderer points it at each caller in turn; it notes whether the call read it, so a
    call that did not can be remembered by its arguments alone."""

    __slots__ = ("_renderer",)

    def __init__(self, renderer):
        self._renderer = renderer

    def _caller(self) -> tuple[Article, dict]:
        renderer = self._renderer
        if renderer.caller is None:
            raise AttributeError("page is only defined inside a component")
        renderer.caller_read = True
        return renderer.caller

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        article, html = self._caller()
        if name in html:
            return html[name]
        if name in Article.__dataclass_fields__ and name not in ("converted", "key", "lines", "complete", "fields"):
            return getattr(article, name)
        try:
            return article.fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        try:
            return self.__getattr__(name)
        except AttributeError:
            raise KeyError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self.__getattr__(name)
        except AttributeError:
            return default

    def calls(self, name: str) -> bool:
        return self._caller()[0].calls(name)


class Components:
    """The components a site's templates define, by name."""

    def __init__(self, signatures: dict[str, Signature], problems: list[Problem]):
        self.signatures = signatures
        self.problems = problems

    @classmethod
    def find(cls, templates_dir: Path, templates_rel: str = "templates") -> "Components":
        folder = templates_dir / FOLDER
        signatures: dict[str, Signature] = {}
        problems: list[Problem] = []
        if not folder.is_dir():
            return cls(signatures, problems)
        env = jinja2.Environment()
        for filename in sorted(os.listdir(folder)):
            if not filename.endswith(".html") or filename.startswith((".", "_")):
                continue
            name = filename.removesuffix(".html")
            rel = f"{templates_rel}/{FOLDER}/{filename}"
            try:
                path = folder / filename
                if path.stat().st_size > MAX_DATA_BYTES:
                    problems.append(Problem(rel, 1, "file is too large for a component"))
                    continue
                tree = env.parse(path.read_text(encoding="utf-8"), name, str(path))
            except jinja2.TemplateSyntaxError as exc:
                problems.append(Problem(rel, exc.lineno or 1, f"template syntax error: {exc.message}"))
                continue
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(rel, 1, f"cannot read the component: {exc}"))
                continue
            found = signature_of(tree, name) if name.isidentifier() else None
            if found is None:
                problems.append(Problem(rel, 1, f"defines no macro {name}(): a component file defines "
                                                f"{{% macro {name}(...) %}}, the macro it is named after"))
                continue
            signatures[name] = found
        return cls(signatures, problems)

    @property
    def ident(self) -> str:
        """Equal while every call would be judged the same: the names and signatures."""
        text = "\n".join(s.text() for _, s in sorted(self.signatures.items()))
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def call_problems(self, call: Component) -> list[str]:
        found = self.signatures.get(call.name)
        if found is None:
            known = ", ".join(sorted(self.signatures)) or "none"
            return [f"unknown component '{call.name}' (templates/{FOLDER}/ has: {known})"]
        return found.problems(call)


def layouts(templates: Path) -> frozenset[str]:
    """The templates a page can name as its layout: the .html files at the top of templates/."""
    try:
        return frozenset(name.removesuffix(".html") for name in os.listdir(templates)
                         if name.endswith(".html") and not name.startswith((".", "_")))
    except OSError:
        return frozenset()
