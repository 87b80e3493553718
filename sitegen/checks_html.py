"""`check` on rendered pages: internal links and #anchors, images without alt text, heading structure.

Pages are rendered by the build's own Renderer with three additions that change no link, id or heading:
- the article body is wrapped in `<!--sgcheck:body-->` comments, and each component's output in
  `<!--sgcheck:c:LINE:NAME-->`, so what comes from Markdown is told from what comes from templates;
- `url()` (the template global and filter) records, for each URL it returns, the template and line that called it
  (the nearest calling frame whose code is a template file, through `inspect.currentframe()`, and Jinja's public
  `Template.get_corresponding_lineno`), and the value it was given (a navigation entry of data/site.yaml is reported
  there). Where frames are not available, nothing is recorded and the URL is placed by searching the templates.
Anything else found in template output is placed by searching the templates the page loaded for it.
"""

from __future__ import annotations

import html
import inspect
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from jinja2 import TemplateNotFound
from markupsafe import Markup

from .checks_source import DataNumbers, Source, figure_findings, scan_structure
from .content import ArticleError, kind_of
from .contexts import context
from .errors import Problem
from .model import Page
from .render import Renderer, TemplateProblem

BODY, END_BODY, COMPONENT, END_COMPONENT = "sgcheck:body", "/sgcheck:body", "sgcheck:c:", "/sgcheck:c"
TEMPLATE = (0, "")  # region of template output; Markdown is (-1, ""), a component (its line, its name)
MARKDOWN = (-1, "")
SKIP_SCHEMES = ("mailto:", "tel:", "sms:", "javascript:", "data:")
LINK_ATTRS = {"a": "href", "area": "href", "link": "href", "img": "src", "source": "src", "script": "src",
              "iframe": "src", "audio": "src", "video": "src", "track": "src", "embed": "src"}

ERROR, WARNING = "error", "warning"
TAG_STRIP_RE = re.compile(r"<[^>]*>")
JINJA_COMPILE = tuple(f"jinja2{sep}{name}" for sep in ("/", "\\") for name in ("nodes.py", "optimizer.py", "compiler.py"))


@dataclass
class Shared:
    """What every page's analysis needs to know about the whole site (set before worker processes start)."""

    root: Path
    base_url: str
    base_path: str
    urls: set[str]  # site-relative addresses that exist: pages, their files, static files
    index: dict[str, str]  # output file -> page url ('blog/x/index.html' -> 'blog/x/'), for anchors
    hidden: dict[str, tuple[str, str]]  # address of an article left out -> ("a draft", "content/x.md has draft: true")
    aliases: dict[str, str]  # old address from aliases: -> the article's url
    data_links: dict[str, tuple[str, int]]  # a text value of data/site.yaml (a URL) -> (path, line)
    numbers: DataNumbers
    markdown_fields: dict[str, tuple[str, ...]]  # 'article'/'page' -> its Markdown fields (schemas: x-markdown)
    templates_dir: str


@dataclass
class PageReport:
    url: str
    ids: str | None = None  # the page's ids, "\n"-joined (HTML pages only)
    found: list[tuple[str, int, str, str, str | None]] = field(default_factory=list)  # path, line, level, message, page
    pending: list[tuple[str, str, tuple[str, int, str, str, str | None]]] = field(default_factory=list)  # target, fragment, finding
    problem: Problem | None = None


TOKEN_RE = re.compile(r"<!--(.*?)-->|<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
ATTR_RE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
RAW_TEXT = {"script": re.compile(r"</script\s*>", re.I), "style": re.compile(r"</style\s*>", re.I)}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
WANTED = set(LINK_ATTRS) | HEADINGS | {"meta"}


class PageParser:
    """What `check` needs from a rendered page: ids, links, images and headings, each with the region it is in.
    A tokenizer for the HTML sitegen writes (quoted attributes, comments, script and style as raw text): several
    times faster than html.parser, which matters on large sites."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.links: list[tuple[str, tuple[int, str]]] = []
        self.images: list[tuple[str, str | None, tuple[int, str]]] = []
        self.headings: list[tuple[int, str, tuple[int, str]]] = []

    def feed(self, data: str) -> "PageParser":
        regions: list[tuple[int, str]] = [TEMPLATE]
        heading: tuple[int, int, tuple[int, str]] | None = None  # level, where its text starts, region
        position = 0
        while True:
            m = TOKEN_RE.search(data, position)
            if m is None:
                break
            position = m.end()
            comment, closing, tag, rest = m.group(1), m.group(2), m.group(3), m.group(4)
            if comment is not None:
                if comment == BODY:
                    regions.append(MARKDOWN)
                elif comment.startswith(COMPONENT):
                    line, _sep, name = comment[len(COMPONENT):].partition(":")
                    regions.append((int(line), name))
                elif comment in (END_BODY, END_COMPONENT) and len(regions) > 1:
                    regions.pop()
                continue
            tag = tag.lower()
            if closing:
                if heading is not None and tag == f"h{heading[0]}":
                    text = TAG_STRIP_RE.sub(" ", data[heading[1] : m.start()])
                    self.headings.append((heading[0], " ".join(html.unescape(text).split()), heading[2]))
                    heading = None
                continue
            if tag in RAW_TEXT:
                end = RAW_TEXT[tag].search(data, position)
                position = end.end() if end else len(data)
            if tag not in WANTED and "id" not in rest:
                continue
            self.start(tag, rest, regions[-1])
            if tag in HEADINGS:
                heading = (int(tag[1]), m.end(), regions[-1])
        return self

    def start(self, tag: str, rest: str, region: tuple[int, str]) -> None:
        a: dict[str, str] = {}
        for am in ATTR_RE.finditer(rest):
            value = next((v for v in am.group(2, 3, 4) if v is not None), "")  # a bare attribute is ""
            a.setdefault(am.group(1).lower(), html.unescape(value) if "&" in value else value)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        attr = LINK_ATTRS.get(tag)
        if attr and attr in a:
            self.links.append((a[attr], region))
        if tag in ("img", "source") and a.get("srcset"):
            for candidate in a["srcset"].split(","):
                if candidate.strip():
                    self.links.append((candidate.strip().split()[0], region))
        if tag == "img":
            self.images.append((a.get("src", ""), a.get("alt"), region))
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            _delay, _sep, target = a.get("content", "").partition("url=")
            if target.strip():
                self.links.append((target.strip().strip("'\""), region))


# -- the renderer, with its additions --------------------------------------------------------------------------
def prepare(renderer: Renderer) -> dict[str, tuple[str, str, int]]:
    """Add the check's recording to a renderer (once); returns the per-page record url() fills."""
    record = renderer.check_record
    if record is not None:
        return record
    record = {}
    original = renderer.env.globals["url"]
    root = os.path.abspath(renderer.templates_dir) + os.sep
    names: dict[str, str] = {}  # a template's file (its compiled code's co_filename) -> its name

    def caller(frame) -> tuple[str, int] | None:
        """(template name, template line) of the nearest template code on the stack above `frame`."""
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.endswith(JINJA_COMPILE):
                return None  # a constant folded while compiling: no template line to tell
            if filename.startswith(root):
                name = names.get(filename)
                if name is None:
                    name = names[filename] = filename[len(root):].replace(os.sep, "/")
                try:
                    template = renderer.env.get_template(name)  # loaded already: it is running
                except TemplateNotFound:  # a file of the folder the loader does not know by that name
                    return None
                return name, template.get_corresponding_lineno(frame.f_lineno)
            frame = frame.f_back
        return None

    def url(path: str) -> str:
        out = original(path)
        if out not in record:
            frame = inspect.currentframe()  # None where the interpreter keeps no frames: placed by text search
            found = caller(frame.f_back) if frame is not None else None
            del frame
            if found is not None:
                record[out] = (path, *found)
        return out

    renderer.env.globals["url"] = url
    renderer.env.filters["url"] = url
    def marked(c, out):
        return Markup(f"<!--{COMPONENT}{c.line}:{c.name}-->") + Markup.escape(out) + Markup(f"<!--{END_COMPONENT}-->")

    renderer.mark_component = marked
    renderer.check_record = record
    return record


def _marked_context(renderer: Renderer, page: Page) -> dict:
    ctx = context(renderer, page)
    if page.kind == "article":
        ctx["body"] = Markup(f"<!--{BODY}-->") + ctx["body"] + Markup(f"<!--{END_BODY}-->")
    return ctx


_template_text: dict[tuple[str, str], list[str]] = {}  # emptied by each check before its pages render


def _template_lines(templates_dir: str, name: str) -> list[str]:
    key = (templates_dir, name)
    if key not in _template_text:
        try:
            _template_text[key] = (Path(templates_dir) / name).read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            _template_text[key] = []
    return _template_text[key]


# -- one page ---------------------------------------------------------------------------------------------------
class _Page:
    """The analysis of one rendered page: it knows where each thing in it came from."""

    def __init__(self, shared: Shared, page: Page, templates: tuple[str, ...], record: dict, source: Source | None):
        self.shared, self.page, self.record, self.source = shared, page, record, source
        self.templates = [page.template] + sorted(t for t in templates if t != page.template)
        self.report = PageReport(page.url)

    def in_templates(self, *needles: str | tuple[str, ...]) -> tuple[str, int]:
        """The first line, in the templates the page loaded (its own first), holding a needle (all of a tuple's
        parts): for output no url() call recorded, such as a literal href, an image or a heading."""
        for needle in needles:
            parts = (needle,) if isinstance(needle, str) else needle
            if not all(parts):
                continue
            for name in self.templates:
                for number, line in enumerate(_template_lines(self.shared.templates_dir, name), 1):
                    if all(part in line for part in parts):
                        return f"templates/{name}", number
        return f"templates/{self.page.template}", 1

    def place(self, region: tuple[int, str], value: str | None, md_line,
              *needles: str | tuple[str, ...]) -> tuple[str, int, str | None]:
        """(path, line, page) of a finding: the Markdown file (page None), or a template or data file (the page's
        url, so that the same finding on many pages is reported once)."""
        data = self.shared.data_links
        recorded = self.record.get(value) if value is not None else None
        if region != MARKDOWN and recorded is not None:
            given, name, line = recorded
            if given in data:
                return (*data[given], self.page.url)
            return f"templates/{name}", line, self.page.url
        if region == TEMPLATE or self.source is None:
            if value is not None and value in data:
                return (*data[value], self.page.url)
            return (*self.in_templates(*needles), self.page.url)
        if region == MARKDOWN:
            return self.source.path, md_line(self.source.body_line), None
        line, _name = region  # a component's output: at the calling line, or where a Markdown field of it says
        if value is not None and self.source.in_fields(value):
            return self.source.path, md_line(line), None
        return self.source.path, line, None

    def add(self, where: tuple[str, int, str], level: str, message: str) -> None:
        self.report.found.append((where[0], where[1], level, message, where[2]))

    # -- links
    def links(self, parser: PageParser) -> None:
        shared = self.shared
        here = shared.base_url + self.page.url
        base = urlsplit(shared.base_url)
        for value, region in parser.links:
            href = value.strip()
            if not href or href.lower().startswith(SKIP_SCHEMES):
                continue
            parts = urlsplit(urljoin(here, href))
            if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
                continue  # external
            if not parts.path.startswith(shared.base_path):
                continue  # on the same host, outside the site
            rel = unquote(parts.path[len(shared.base_path):])
            fragment = unquote(parts.fragment)
            shown, prefix = href, shared.base_path
            if region != TEMPLATE and shared.base_path != "/" and href.startswith(shared.base_path):
                shown, prefix = "/" + href[len(shared.base_path):], "/"  # as written in Markdown, before rebasing
            source = self.source
            md_line = (lambda fallback: source.line_of_link(shown, fallback)) if source else None
            where = lambda: self.place(region, value, md_line, f'"{href}"', f"'{href}'", href)  # noqa: E731
            if rel in shared.hidden:
                what, why = shared.hidden[rel]
                self.add(where(), ERROR, f"link to {what}: {shown} ({why})")
            elif rel in shared.aliases:
                self.add(where(), WARNING, f"link to an old address: {shown} redirects to "
                                           f"{prefix}{shared.aliases[rel]}; link to that instead")
            elif rel not in shared.urls:
                hint = f"; did you mean {shown}/?" if (rel + "/") in shared.urls and not parts.query and not fragment else ""
                self.add(where(), ERROR, f"link to {shown} leads nowhere{hint}")
            elif fragment and fragment.lower() != "top":
                target = shared.index.get(rel, rel)
                if target == self.page.url:
                    if fragment not in parser.ids:
                        self.add(where(), ERROR, f'link to {shown}: this page has no anchor "{fragment}"')
                else:
                    p = where()
                    message = f'link to {shown}: {prefix}{target} has no anchor "{fragment}"'
                    self.report.pending.append((target, fragment, (p[0], p[1], ERROR, message, p[2])))

    # -- images
    def images(self, parser: PageParser) -> None:
        source = self.source
        for src, alt, region in parser.images:
            strict = region == MARKDOWN or (region[0] > 0 and source is not None and source.in_fields(src))
            if alt is not None and (alt.strip() or not strict):
                continue  # alt="" marks a decorative image in a template; in Markdown it is a forgotten description
            md_line = (lambda fallback, s=src: source.line_of_image(s, fallback)) if source else None
            self.add(self.place(region, src, md_line, f'"{src}"', "<img"), ERROR, f"image without alt text: {src}")

    # -- headings
    def headings(self, parser: PageParser) -> None:
        source = self.source
        previous = None
        h1 = 0
        for level, text, region in parser.headings:
            md_line = (lambda fallback, lv=level, t=text: source.line_of_heading(lv, t, fallback)) if source else None
            if region[0] > 0:
                md_line = lambda fallback: fallback  # noqa: E731 - a component's own heading: the component's line
            where = None
            if previous is not None and level > previous + 1:
                where = self.place(region, None, md_line, (f"<h{level}", text), f"<h{level}")
                said = f'heading "{text}" skips' if where[2] is None else "heading skips"
                self.add(where, ERROR, f"{said} a level: h{level} after h{previous} (use h{previous + 1})")
            if level == 1:
                h1 += 1
                if h1 > 1:
                    where = where or self.place(region, None, md_line, ("<h1", text), "<h1")
                    advice = f': "{text}"; the title is the h1, use ## for sections' if where[2] is None else \
                        "; the title is the h1, use h2 for sections"
                    self.add(where, WARNING, f"more than one h1 on the page{advice}")
            previous = level


def analyse(shared: Shared, renderer: Renderer, page: Page) -> PageReport:
    """Render one page in memory and analyse it; nothing is kept but the findings and the page's ids."""
    record = prepare(renderer)
    record.clear()
    try:
        data, deps = renderer.render(page, _marked_context)
    except TemplateProblem as exc:
        return PageReport(page.url, problem=exc.problem)
    source = None
    if page.kind in ("article", "page") and page.article is not None:
        try:
            source = Source.read((shared.root / page.article.path).read_text("utf-8-sig"), page.article.path,
                                 shared.markdown_fields[kind_of(page.article.path)])
        except (OSError, UnicodeDecodeError, ArticleError):
            source = None  # changed since it was loaded: the next run sees it
    analysis = _Page(shared, page, tuple(deps.templates), record, source)
    report = analysis.report
    if source is not None:
        assert page.article is not None
        for line, message in scan_structure(source):
            report.found.append((source.path, line, WARNING, message, None))
        for line, message in figure_findings(source, shared.numbers, page.article):
            report.found.append((source.path, line, WARNING, message, None))
    if not page.output.endswith(".html"):
        return report
    parser = PageParser().feed(data.decode("utf-8"))
    report.ids = "\n".join(sorted(parser.ids))
    analysis.links(parser)
    analysis.images(parser)
    analysis.headings(parser)
    return report
