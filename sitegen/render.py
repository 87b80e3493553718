"""Rendering: the Jinja environment, components in article bodies, FAQ extraction and template error mapping."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from typing import Any, Callable

import jinja2
from markupsafe import Markup

from . import __version__, datapages, formats, images_encode
from .components import FOLDER as COMPONENTS, CallerPage, ComponentFailure, fail
from .deps import Deps, recording
from .errors import BuildError, Problem
from .images import ImageInfo, Picture
from .markdown_ext import TOKEN_RE, faq_sections, html_to_text, questions
from .identity import Uncacheable, identity
from .model import Article, Body, Component, Page, Site

BLOCK_TOKEN_RE = re.compile(r"<p>(SGCOMP\d+X)</p>")
MODEL_REPR_RE = re.compile(r"'sitegen\.model\.(\w+) object'")


class TemplateProblem(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def make_environment(templates_dir: str, site_path: str, assets: dict[str, str],
                     cls: type[jinja2.Environment] = jinja2.Environment,
                     compiled: str | None = None) -> jinja2.Environment:
    """The site's Jinja environment. `compiled`: a folder (in .sitegen-cache/) where Jinja keeps each template's
    compiled code by its source's checksum (its public FileSystemBytecodeCache), so a build does not compile the
    layouts and components again."""
    cache = None
    if compiled is not None:
        os.makedirs(compiled, exist_ok=True)
        cache = jinja2.FileSystemBytecodeCache(compiled)
    env = cls(
        bytecode_cache=cache,
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


# Partials kept per renderer: every article's card on a site of 100,000 articles (each listing, tag and role page
# shows cards, so a card is wanted again long after it was first made). About 0.8 KB an entry: its HTML and a
# 16-byte key; what it read is shared between entries.
MEMO_LIMIT = 120_000


class RecordingEnvironment(jinja2.Environment):
    """A Jinja environment that tells its renderer about every template a render asks for (cached or not).

    It records through Jinja's public loading methods, which the compiled templates call at run time for
    `{% extends %}` (get_template), `{% include %}` (get_template, select_template for a list, get_or_select_template
    for an expression), `{% import %}` and `{% from ... import %}` (get_template): jinja2 3.1's compiler.py. A loader
    wrapper could not do it: the loader is asked only on cache misses. `loads_recorded()` checks at start-up that
    every kind of load is recorded; when it is not, the Renderer records every template for every page instead (a
    template edit then re-renders everything: slower, never stale). Every name asked for is recorded, found or not
    (a missing template that appears later changes the page)."""

    on_load: Callable[[str], None] | None = None

    def _record(self, name: object, parent: str | None) -> None:
        if self.on_load is not None and isinstance(name, str):
            self.on_load(self.join_path(name, parent) if parent is not None else name)

    def get_template(self, name, parent=None, globals=None):  # noqa: A002 - Jinja's own signature
        self._record(name, parent)
        return super().get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):  # noqa: A002
        if not isinstance(names, jinja2.Undefined):
            names = list(names)  # it may be an iterator: we read it once, Jinja again
            for name in names:
                self._record(name, parent)
        return super().select_template(names, parent, globals)

    def get_or_select_template(self, template_name_or_list, parent=None, globals=None):  # noqa: A002
        if isinstance(template_name_or_list, str):
            self._record(template_name_or_list, parent)
        elif not isinstance(template_name_or_list, (jinja2.Undefined, jinja2.Template)):
            template_name_or_list = list(template_name_or_list)
            for name in template_name_or_list:
                self._record(name, parent)
        return super().get_or_select_template(template_name_or_list, parent, globals)


# The self-check's templates: each way a template loads another, as the site's templates use them and more.
_CHECK_TEMPLATES = {
    "page.html": ('{% extends "base.html" %}{% block b %}{% include "inc.html" %}{% import "macros.html" as m %}'
                  '{{ m.f() }}{% from "more.html" import g %}{{ g() }}{% include ["missing.html", "listed.html"] %}'
                  '{% include chosen %}{% include "absent.html" ignore missing %}{% endblock %}'),
    "base.html": "<{% block b %}{% endblock %}>",
    "inc.html": "i{% include 'nested.html' %}",
    "nested.html": "n",
    "macros.html": "{% macro f() %}f{% endmacro %}",
    "more.html": "{% macro g() %}g{% endmacro %}",
    "listed.html": "l",
    "chosen.html": "c",
}
_CHECK_EXPECTED = ({"page.html", "base.html", "inc.html", "nested.html", "macros.html", "more.html", "missing.html",
                    "listed.html", "chosen.html", "absent.html"}, "<infglc>")


@functools.cache
def loads_recorded(cls: type[jinja2.Environment] = RecordingEnvironment) -> bool:
    """Whether `cls` records every template a render loads, on a fresh render and on one from Jinja's cache."""
    try:
        env = cls(loader=jinja2.DictLoader(_CHECK_TEMPLATES), cache_size=-1, auto_reload=False)
        for _ in range(2):
            seen: set[str] = set()
            env.on_load = seen.add
            out = env.get_template("page.html").render(chosen="chosen.html")
            if (seen, out) != _CHECK_EXPECTED:
                return False
    except Exception:  # noqa: BLE001 - any surprise: do not trust the recording
        return False
    return True


def _card(renderer: "Renderer", page: Page) -> bytes:
    from .cards import produce  # Pillow is imported by the processes that draw a card, only
    return produce(renderer, page)


# Pages that are not rendered from a Jinja template: kind -> producer(renderer, page) -> the file's bytes. A producer
# records what it reads in renderer.deps (its page's signature), may keep per-process state in renderer.products[kind]
# and look up what an earlier build made from the same inputs with renderer.stored(key) (renderer.new_products: what
# it made, for the store). A producer raises BuildError with the problem of its source (an image variant's file).
PRODUCERS: dict[str, Callable[["Renderer", Page], bytes]] = {"image": images_encode.produce, "card": _card}


class Renderer:
    """Renders pages of one site. Templates compile once per process and are kept; each render returns the page's
    bytes and what it read (Deps)."""

    def __init__(self, site: Site, dataset, templates_dir: str, templates_rel: str,
                 assets: dict[str, str], bodies: Callable[[str], Body],
                 records: Callable[[str], Article] | None = None, images: dict[str, Picture] | None = None,
                 stored: Callable[[str], bytes | None] | None = None, compiled: str | None = None):
        self.site = site
        self.root = os.path.dirname(os.path.abspath(templates_dir))  # the site's root (producers read sources)
        self.records = records  # the complete Article by key, for slim ones (content.slim)
        self.templates_dir = templates_dir
        self.templates_rel = templates_rel
        self.bodies = bodies
        self.deps = Deps()
        self.dataset = dataset
        self.data = recording(dataset, lambda: self.deps)
        self.env = make_environment(templates_dir, site.base_path, assets, RecordingEnvironment, compiled)
        self.env.on_load = lambda name: self.deps.templates.add(name)
        # when the recording cannot be trusted (loads_recorded), every page reads every template
        self.every_template: frozenset[str] | None = None
        if not loads_recorded():
            self.every_template = frozenset(self.env.loader.list_templates())
        self.caller: tuple[Article, dict[str, Markup]] | None = None  # who calls the component being rendered
        self.caller_read = False
        self.env.globals.update(site=site, data=self.data, page=CallerPage(self), fail=fail)
        self.env.globals["partial"] = self.partial
        self.env.globals["image"] = self._image_lookup(images or {})
        self.env.globals["record_url"] = lambda collection, key: datapages.record_url(site.settings, self.data,
                                                                                     collection, key)
        # Partials that depend only on their values (an article's card, a component call that did not read `page`)
        # render once per renderer: their HTML and what they read (replayed into each page's Deps). Once
        # MEMO_LIMIT entries are kept, new ones are not added: the ones kept go on being hit (dropping the oldest
        # instead would miss every card when a site has more than fit, as pages pass over them in turn).
        self._memo: dict[object, tuple[Markup, frozenset[str], frozenset[str]]] = {}
        self._sets: dict[frozenset[str], frozenset[str]] = {}  # one copy of each set of names the entries read
        self._modules: dict[str, tuple[Any, frozenset[str]]] = {}  # component -> (template module, what it loaded)
        self.mark_component: Callable[[Component, Markup | str], Markup] | None = None  # see filled_component()
        self.check_record: dict | None = None  # check's record of where each url() came from (checks_html.prepare)
        self.products: dict[str, Any] = {}  # each producer's state in this process (PRODUCERS)
        self.stored: Callable[[str], bytes | None] = stored or (lambda key: None)  # a product by its inputs' key
        self.new_products: list[tuple[str, bytes]] = []  # (inputs' key, bytes) made since the store last took them

    def _image_lookup(self, pictures: dict[str, Picture]) -> Callable[[str], ImageInfo]:
        url = self.env.filters["url"]

        def image(path: str) -> ImageInfo:
            """`image("/images/team.jpg")` in a template: the image's size and variants (images.ImageInfo)."""
            picture = pictures.get(str(path).lstrip("/"))
            if picture is None:
                raise jinja2.TemplateRuntimeError(f"no image static/{str(path).lstrip('/')} (image() takes a path "
                                                  "like /images/team.jpg, of a file under static/images/)")
            return ImageInfo(picture, url)

        return image

    # -- partials and components --------------------------------------------------------------------------
    def _partial(self, name: str, **context: Any) -> Markup:
        return Markup(self.env.get_template(name).render(**context))

    def _remember(self, key: object, html: Markup, read: Deps) -> tuple[Markup, frozenset[str], frozenset[str]]:
        templates, data = frozenset(read.templates), frozenset(read.data)
        hit = (html, self._sets.setdefault(templates, templates), self._sets.setdefault(data, data))
        if len(self._memo) < MEMO_LIMIT:
            self._memo[key] = hit
        return hit

    def _replay(self, hit: tuple[Markup, frozenset[str], frozenset[str]]) -> Markup:
        self.deps.templates |= hit[1]
        self.deps.data |= hit[2]
        return hit[0]

    def partial(self, name: str, **values: Any) -> Markup:
        """`{{ partial("partials/article_card.html", entry=entry) }}` in a template: the partial sees only these
        values and the globals (site, data, url, asset), so the same values give the same HTML, rendered once."""
        try:
            key = hashlib.blake2b(identity((name, values)).encode(), digest_size=16).digest()
        except Uncacheable:
            return self._partial(name, **values)
        hit = self._memo.get(key)
        if hit is None:
            page_deps, self.deps = self.deps, Deps()
            try:
                html = self._partial(name, **values)
                read = self.deps
            finally:
                self.deps = page_deps
            hit = self._remember(key, html, read)
        return self._replay(hit)

    def filled_component(self, c: Component, article: Article, fields: dict[str, Markup]) -> Markup | str:
        """What a component's token becomes in the article: its output, passed through `mark_component` when set
        (check marks where each component's output starts and ends, to place its findings on the calling line)."""
        out = self.component(c, article, fields)
        return out if self.mark_component is None else self.mark_component(c, out)

    def _component_module(self, name: str) -> tuple[Any, frozenset[str]]:
        known = self._modules.get(name)
        if known is None:
            outer, self.deps = self.deps, Deps()
            try:
                module = self.env.get_template(f"{COMPONENTS}/{name}.html").module
            finally:
                loaded, self.deps = frozenset(self.deps.templates), outer
            known = self._modules[name] = (module, loaded)
        return known

    def component(self, c: Component, article: Article, fields: dict[str, Markup]) -> Markup:
        """The output of one call: the component's macro with the call's arguments, `page` pointing at the caller.
        A call that does not read `page` is remembered by its arguments (its reads replayed on each page)."""
        try:
            key = ("component", identity((c.name, c.args, c.kwargs)))
        except Uncacheable:  # pragma: no cover - parse_call gives literals only
            key = None
        hit = self._memo.get(key) if key is not None else None
        if hit is not None:
            return self._replay(hit)
        page_deps, self.deps = self.deps, Deps()
        previous = (self.caller, self.caller_read)
        self.caller, self.caller_read = (article, fields), False
        misses = len(self.data.misses)
        try:
            module, loaded = self._component_module(c.name)
            self.deps.templates |= loaded
            self.deps.templates.add(f"{COMPONENTS}/{c.name}.html")
            html = Markup(getattr(module, c.name)(*c.args, **dict(c.kwargs)))
            read, read_page = self.deps, self.caller_read
        except ComponentFailure as exc:
            raise TemplateProblem(Problem(article.path, c.line, f"component {c.name}(): {exc}")) from None
        except jinja2.UndefinedError as exc:
            what = self.data.misses[-1] if len(self.data.misses) > misses else MODEL_REPR_RE.sub(r"\1", exc.message or "")
            raise TemplateProblem(Problem(article.path, c.line, f"component {c.name}(): undefined: {what}")) from None
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, ArithmeticError) as exc:
            problem = template_problem(exc, self.templates_rel, self.templates_dir)
            raise TemplateProblem(Problem(article.path, c.line, f"component {c.name}(): {problem.message} "
                                                                f"({problem.path}:{problem.line})")) from None
        finally:
            self.caller, self.caller_read = previous
            self.deps, page_deps = page_deps, self.deps
        if read_page or key is None:
            self.deps.templates |= read.templates
            self.deps.data |= read.data
            return html
        return self._replay(self._remember(key, html, read))

    def _fill(self, html: str, article: Article, by_token: dict[str, Component], fields: dict[str, Markup]) -> str:
        """`html` with its component tokens replaced: a call alone in its paragraph by the component's output in
        place of the paragraph, a call inside one by the output with the whitespace around it trimmed."""
        def block(m: re.Match) -> str:
            c = by_token[m.group(1)]
            return str(self.filled_component(c, article, fields)) if c.block else m.group(0)

        def inline(m: re.Match) -> str:
            return str(self.filled_component(by_token[m.group(0)], article, fields)).strip()

        return TOKEN_RE.sub(inline, BLOCK_TOKEN_RE.sub(block, html))

    def complete(self, article: Article) -> Article:
        if article.complete:
            return article
        assert self.records is not None, "slim articles need a renderer with the store's records"
        return self.records(article.key)

    def _filled(self, article: Article) -> tuple[str, dict[str, Markup]]:
        article = self.complete(article)
        body = self.bodies(article.key)
        by_token = {c.token: c for c in article.converted.components}
        fields = {name: Markup(self._fill(html, article, by_token, {})) for name, html in body.fields.items()}
        return self._fill(body.html, article, by_token, fields), fields

    def article_body(self, article: Article) -> tuple[Markup, dict[str, Markup]]:
        """The article's HTML with every component filled in from data, and the HTML of its Markdown fields."""
        html, fields = self._filled(article)
        return Markup(html), fields

    def article_parts(self, article: Article) -> tuple[Markup, dict[str, Markup], list[dict[str, str]]]:
        """article_body() and the FAQ: each question with its anchor and the visible text of its answer."""
        article = self.complete(article)  # _filled() completes it too; faq_entries() needs its headings
        html, fields = self._filled(article)
        return Markup(html), fields, faq_entries(article, html)

    # -- pages ------------------------------------------------------------------------------------------
    def render(self, page: Page, make_context: Callable[["Renderer", Page], dict[str, Any]]) -> tuple[bytes, Deps]:
        """The page's bytes and what it read; a template mistake (the page's or a component's) is a TemplateProblem."""
        self.deps = Deps()
        producer = PRODUCERS.get(page.kind)
        try:
            if producer is not None:  # a card's text layers are Jinja: their mistakes are template problems too
                try:
                    return producer(self, page), self.deps
                except BuildError as exc:
                    raise TemplateProblem(exc.problems[0]) from None
            template = self.env.get_template(page.template)
            data = template.render(**make_context(self, page)).encode("utf-8")
            if self.every_template is not None:
                self.deps.templates |= self.every_template
            return data, self.deps
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, ArithmeticError) as exc:
            problem = template_problem(exc, self.templates_rel, self.templates_dir)
            if page.record is not None and problem.path == f"{self.templates_rel}/{page.template}":
                # a collection's page whose own template failed: the record it could not render is the place
                name, _, key = page.record.partition("/")
                rel, line = self.dataset.record_line(name, key)
                problem = Problem(rel, line, f"{name} '{key}' cannot be rendered by {self.templates_rel}/"
                                             f"{page.template}: {problem.message} ({problem.path}:{problem.line})")
            raise TemplateProblem(problem) from None


def faq_entries(article: Article, body: str) -> list[dict[str, str]]:
    """Each H2 that asks a question (ends with '?'), with its anchor and the visible text of its answer in `body`,
    the filled HTML: the one place the FAQ is worked out (for the question list and the FAQPage JSON-LD)."""
    asked = questions(article.converted.headings)
    if not asked:
        return []
    return [{"id": anchor, "question": asked[anchor], "answer": html_to_text(answer)}
            for anchor, answer in faq_sections(body, article.converted.headings)]
