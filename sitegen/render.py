"""Rendering: the Jinja environment, components in article bodies, FAQ extraction and template error mapping."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import jinja2
from markupsafe import Markup

from . import __version__, formats
from .assemble import Assembled
from .errors import Problem
from .markdown_ext import BLOCK_COMPONENTS, TAG_RE, TOKEN_RE
from .model import Article, Component, Role

BLOCK_TOKEN_RE = re.compile(r"<p>(SGCOMP\d+X)</p>")
H2_RE = re.compile(r'<h2 id="([^"]+)"[^>]*>')
SPACE_RE = re.compile(r"\s+")
MODEL_REPR_RE = re.compile(r"'sitegen\.model\.(\w+) object'")


class TemplateProblem(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Page:
    """One file to write. `url` is relative to the site root ('' for the home page, 'blog/x/' for an article)."""

    url: str
    output: str  # file path relative to the output directory
    template: str
    kind: str
    title: str
    description: str
    article: Article | None = None
    role: Role | None = None
    items: tuple = ()  # the articles a list page shows
    lastmod: dt.date | None = None  # for sitemap.xml; None keeps the page out of the sitemap
    extra: dict = field(default_factory=dict, compare=False)


def html_to_text(fragment: str) -> str:
    return SPACE_RE.sub(" ", htmllib.unescape(TAG_RE.sub(" ", fragment))).strip()


def make_environment(templates_dir: str, site_path: str, assets: dict[str, str]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir, encoding="utf-8"),
        autoescape=jinja2.select_autoescape(["html", "xml", "htm"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=-1,
    )
    base_path = site_path

    def url(path: str) -> str:
        """Site-relative path ('blog/x/') -> URL under the base path ('/insights/blog/x/'); absolute URLs pass."""
        if "://" in path or path.startswith(("mailto:", "#")):
            return path
        return base_path + path.lstrip("/")

    def asset(path: str) -> str:
        if path not in assets:
            raise jinja2.TemplateRuntimeError(f"no file static/{path} (asset() takes a path under static/)")
        return url(assets[path])

    env.filters.update(
        money=formats.money,
        count=formats.count,
        long_date=formats.long_date,
        json_ld=formats.json_ld,
        url=url,
        text=html_to_text,
    )
    env.globals.update(url=url, asset=asset, generator=f"sitegen {__version__}")
    return env


def template_problem(exc: BaseException, templates_rel: str, templates_dir: str) -> Problem:
    """Map a Jinja exception to `templates/FILE:LINE: message` using the template frames of its traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        rel = os.path.relpath(exc.filename, templates_dir).replace(os.sep, "/")
        return Problem(f"{templates_rel}/{rel}", exc.lineno or 1, f"template syntax error: {exc.message}")
    where, line = None, 1
    tb = exc.__traceback__
    root = os.path.abspath(templates_dir) + os.sep
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(root):
            where, line = filename[len(root):].replace(os.sep, "/"), tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"template '{exc.name}' not found in {templates_rel}/"
        if where is None:
            return Problem(f"{templates_rel}/{exc.name}", 1, message)
    elif isinstance(exc, jinja2.UndefinedError):
        message = "undefined: " + MODEL_REPR_RE.sub(r"\1", exc.message or "")
    else:
        message = f"template error: {exc}"
    return Problem(f"{templates_rel}/{where or '?'}", line, message)


class Renderer:
    """Renders pages for one assembled site. Templates compile once per process and are kept."""

    def __init__(self, assembled: Assembled, templates_dir: str, templates_rel: str, assets: dict[str, str]):
        self.a = assembled
        self.templates_dir = templates_dir
        self.templates_rel = templates_rel
        self.env = make_environment(templates_dir, assembled.site.base_path, assets)
        self.env.globals.update(site=assembled.site, roles=assembled.roles)

    # -- components -------------------------------------------------------------------------------------
    def _partial(self, name: str, **context: Any) -> Markup:
        return Markup(self.env.get_template(f"partials/{name}.html").render(**context))

    def component(self, c: Component, article: Article, qa_html: str) -> Markup | str:
        roles = self.a.roles
        args = c.args
        if c.name == "salary":
            r = roles[args[0]]
            return formats.money(r.median_base, r.currency)
        if c.name == "postings":
            return formats.count(roles[args[0]].job_postings)
        if c.name == "salary_gap":
            hi, lo = roles[args[0]], roles[args[1]]
            return formats.money(hi.median_base - lo.median_base, hi.currency)
        if c.name == "role":
            value = getattr(roles[args[0]], args[1])
            if args[1] == "as_of":
                return formats.long_date(value)
            if args[1] == "median_base":
                return formats.money(value, roles[args[0]].currency)
            if args[1] == "job_postings":
                return formats.count(value)
            return str(value)
        if c.name == "salary_table":
            ids = args or article.roles
            return self._partial("salary_table", table_roles=[roles[i] for i in ids])
        if c.name == "quick_answer":
            return self._partial("quick_answer", answer=Markup(qa_html), article=article,
                                 answer_roles=[roles[i] for i in article.roles])
        if c.name in ("responsibilities", "skills"):
            return self._partial("role_items", role=roles[args[0]], kind=c.name, items=getattr(roles[args[0]], c.name))
        if c.name == "cta":
            return self._partial("cta", cta=self.a.site.cta)
        raise AssertionError(c.name)  # assemble() rejected unknown names

    def _fill(self, html: str, article: Article, by_token: dict[str, Component], qa_html: str = "") -> str:
        def block(m: re.Match) -> str:
            c = by_token[m.group(1)]
            return str(self.component(c, article, qa_html)) if c.name in BLOCK_COMPONENTS else m.group(0)

        def inline(m: re.Match) -> str:
            return str(Markup.escape(self.component(by_token[m.group(0)], article, qa_html)))

        return TOKEN_RE.sub(inline, BLOCK_TOKEN_RE.sub(block, html))

    def article_body(self, article: Article) -> tuple[Markup, Markup]:
        conv = article.converted
        by_token = {c.token: c for c in conv.components}
        qa = self._fill(conv.quick_answer_html, article, by_token)
        return Markup(self._fill(conv.html, article, by_token, qa)), Markup(qa)

    # -- pages ------------------------------------------------------------------------------------------
    def render(self, page: Page, make_context: Callable[[Page], dict[str, Any]]) -> bytes:
        """The page's bytes; any template mistake (in the page's template or a component's) is a TemplateProblem."""
        try:
            template = self.env.get_template(page.template)
            return template.render(**make_context(page)).encode("utf-8")
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
            raise TemplateProblem(template_problem(exc, self.templates_rel, self.templates_dir)) from None


def faq_entries(article: Article, body: str) -> list[dict[str, str]]:
    """Each H2 that asks a question (ends with '?'), with its anchor and the visible text of its answer."""
    questions = {h.id: h.text for h in article.converted.headings if h.level == 2 and h.text.rstrip().endswith("?")}
    if not questions:
        return []
    marks = list(H2_RE.finditer(body))
    entries = []
    for index, mark in enumerate(marks):
        anchor = mark.group(1)
        if anchor not in questions:
            continue
        start = body.index("</h2>", mark.end()) + len("</h2>")
        end = marks[index + 1].start() if index + 1 < len(marks) else len(body)
        entries.append({"id": anchor, "question": questions[anchor], "answer": html_to_text(body[start:end])})
    return entries

