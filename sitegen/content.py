"""Articles: split the `---` front matter off, parse it as YAML with line numbers, validate, convert the body."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import sys
from dataclasses import replace

from . import yamlutil

from .schemas import ENGINE_FIELDS, Schemas, validate_fields
from .errors import Problem
from .limits import CONVERT_SECONDS, MAX_CONTENT_BYTES, MAX_INLINE_WORK, MAX_MARKDOWN_DEPTH, TooSlow, deadline
from .markdown_ext import converter
from .model import Article, Body, Component, Converted, Heading, data_key

FENCE = "---"
SLUG_STRIP = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=65536)  # category and tag names are slugified for every link to them
def slugify(text: str) -> str:
    return SLUG_STRIP.sub("-", text.lower()).strip("-") or "article"


def split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    """Returns (front matter, body, first line of the body). Raises ValueError(Problem) when it is malformed."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != FENCE:
        raise _problem(path, 1, "missing front matter: the file must start with a line '---'")
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n").rstrip() in (FENCE, "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise _problem(path, 1, "front matter is never closed: add a line '---' after it")


def decode_source(raw: bytes, rel: str) -> tuple[str | None, Problem | None]:
    """UTF-8 text (a BOM is dropped), or the problem at the line of the first byte that is not UTF-8 or of the first
    control character (Python-Markdown keeps its own placeholders in control characters: text must not forge them)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem(rel, line, f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be decoded); "
                                        "save it as UTF-8")
    control = CONTROL_RE.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        return None, Problem(rel, line, f"control character U+{ord(control.group()):04X} in the text; remove it "
                                        "(only tabs and line breaks are allowed)")
    return text, None


CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def read_source(path: str, rel: str, limit: int = MAX_CONTENT_BYTES) -> tuple[bytes | None, Problem | None]:
    """A source file's bytes, read only up to `limit` (a larger file is a problem, not a gigabyte in memory)."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            # read what the size says (and one byte more, to see a file that grew): read(limit + 1) would set
            # aside `limit` bytes for every file
            raw = fh.read(min(size, limit) + 1)
    except FileNotFoundError:
        return None, Problem(rel, 1, "file is missing")
    except OSError as exc:
        return None, Problem(rel, 1, f"cannot read the file: {exc.strerror or exc}")
    if len(raw) > limit:
        return None, Problem(rel, 1, f"file is larger than {limit // (1024 * 1024)} MB, the most a source file may be")
    return raw, None


def internal_error(exc: BaseException) -> str:
    """The message for an exception no input should cause: a bug of sitegen's, reported against the file."""
    return (f"internal error: {type(exc).__name__}: {exc}"[:300]
            + " (a bug in sitegen, not in this file; please report it with the file attached)")


class ArticleError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def _problem(path: str, line: int, message: str) -> ArticleError:
    return ArticleError([Problem(path, line, message)])


PAGES = "content/pages/"  # Markdown under here is a standalone page (section 'pages'), not a blog article


def kind_of(path: str) -> str:
    """The schema of a content file's front matter: 'page' under content/pages/, else 'article'."""
    return "page" if path.startswith(PAGES) else "article"


def parse_article(text: str, path: str, key: str = "", schemas: Schemas | None = None) -> tuple[Article, Body]:
    """Pure: source text and its site-relative path in, an Article and its Body out (or ArticleError with every
    problem). `key` is the source digest the build stores the Body under; `schemas` the site's (the package's
    defaults when None)."""
    schemas = schemas or Schemas({}, [])
    kind = kind_of(path)
    front, body, body_line = split_front_matter(text, path)
    try:
        meta, lines = yamlutil.load(front, line_offset=1)
    except yamlutil.YamlSyntaxError as exc:
        raise _problem(path, exc.line, exc.message) from None
    if meta is None:
        meta, lines = {}, {(): 1}
    if not isinstance(meta, dict):
        raise _problem(path, 2, "front matter must be a mapping of fields (title: ..., date: ...)")
    problems = validate_fields(meta, lines, kind, schemas, path)
    if problems:
        raise ArticleError(problems)
    schema = schemas.get(kind)
    fields = [(name, meta[name], lines.get((name,), 1)) for name in schema.markdown_fields()
              if isinstance(meta.get(name), str) and meta[name]]
    problems = markdown_bounds(path, body, body_line)
    for _name, value, line in fields:
        problems += markdown_bounds(path, value, line, lines=False)
    if problems:
        raise ArticleError(problems[:1])
    try:
        with deadline(CONVERT_SECONDS):
            converted, html, problems = converter().convert(path, body, body_line, fields)
    except TooSlow:
        raise _problem(path, body_line, f"converting this article took more than {CONVERT_SECONDS} s and was "
                                        "stopped; its Markdown may be pathological (see SECURITY.md)") from None
    except RecursionError:
        raise _problem(path, body_line, "Markdown nested too deeply to convert; flatten its lists, quotes "
                                        "or emphasis") from None
    if problems:
        raise ArticleError(problems)
    return _article(path, kind, meta, lines, converted, key, schema), html


QUOTE_OR_ITEM_RE = re.compile(r"[ \t]*(?:>|(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$))")
OPENERS_RE = re.compile(r"[\[<]")


def markdown_bounds(path: str, text: str, first_line: int, lines: bool = True) -> list[Problem]:
    """Limits checked before conversion (sitegen.limits): how deeply lists and quotes nest on one line (each `>`,
    each list marker and each 4 columns of indentation before them is a level), and the work Python-Markdown's
    inline patterns will do (the square of the `[` and `<` in each block, summed)."""
    problems = []
    work = 0
    block_start, openers = first_line, 0
    for number, line in enumerate(text.split("\n") if lines else [text], first_line):
        if not line.strip():
            block_start, openers = number + 1, 0
            continue
        if "[" in line or "<" in line:
            count = len(OPENERS_RE.findall(line))
            work += 2 * openers * count + count * count  # (openers + count)^2 - openers^2
            openers += count
            if work > MAX_INLINE_WORK:
                problems.append(Problem(path, block_start, f"too many '[' and '<' to convert in reasonable time "
                                        f"({openers:,} in the paragraph that starts here); split the text into "
                                        "smaller paragraphs or remove stray brackets"))
                break
        if lines and (line[:1] in " \t>-*+" or line[:1].isdigit()):
            depth, position = 0, 0
            while True:
                found = QUOTE_OR_ITEM_RE.match(line, position)
                if found is None or found.end() == position:
                    break
                depth += 1
                position = found.end()
            if depth:
                indent = line[: len(line) - len(line.lstrip(" \t"))]
                depth += len(indent.expandtabs(4)) // 4
            if depth > MAX_MARKDOWN_DEPTH:
                problems.append(Problem(path, number, f"lists and quotes nested {depth} levels deep (at most "
                                        f"{MAX_MARKDOWN_DEPTH}); flatten them"))
                break
    return problems


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _url(path: str, kind: str, slug: str) -> str:
    if kind == "article":
        return f"blog/{slug}/"
    inner = path.removeprefix(PAGES).removesuffix(".md")
    folder, _, stem = inner.rpartition("/")
    if stem == "index":
        return folder + "/" if folder else ""
    return f"{folder}/{slug}/" if folder else f"{slug}/"


def _article(path: str, kind: str, meta: dict, lines: dict, converted: Converted, key: str, schema) -> Article:
    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    slug = meta.get("slug") or slugify(stem)
    markdown_fields = set(schema.markdown_fields())
    refs = []
    for name, target in schema.refs().items():
        value = meta.get(name)
        for key_ in ([value] if isinstance(value, str) else value if isinstance(value, list) else []):
            refs.append(data_key(target, str(key_)))
    return Article(
        path=path,
        section="blog" if kind == "article" else "pages",
        url=_url(path, kind, slug),
        slug=slug,
        title=meta["title"],
        description=meta.get("description", ""),
        date=_date(meta.get("date")),
        updated=_date(meta.get("updated")),
        category=meta.get("category", ""),
        tags=tuple(meta.get("tags", ())),
        draft=meta.get("draft", False),
        faq_schema=meta.get("faq_schema"),
        related=tuple(meta.get("related", ())),
        aliases=tuple(meta.get("aliases", ())),
        author=meta.get("author"),
        layout=meta.get("layout"),
        fields={k: v for k, v in meta.items() if k not in ENGINE_FIELDS and k not in markdown_fields},
        refs=tuple(refs),
        converted=converted,
        key=key,
        lines={k: v for k, v in lines.items() if len(k) <= 2},
    )


CROSS_REFERENCES = ("slug", "related", "aliases", "layout")  # checked across articles, after every article is loaded


def slim(article: Article) -> Article:
    """The article as every other page sees it (lists, cards, related reading, feeds load theirs in full): its
    components and headings dropped, only the lines of cross-references kept, repeated names shared. Checked on
    its own first (assemble.article_problems); a one-shot build then holds only these, a third of the memory."""
    intern = sys.intern
    return replace(
        article,
        category=intern(article.category),
        tags=tuple(map(intern, article.tags)),
        refs=tuple(map(intern, article.refs)),
        converted=Converted((), (), article.converted.words),
        lines={k: v for k, v in article.lines.items() if k and k[0] in CROSS_REFERENCES},
        complete=False,
    )


FIELDS = ("path", "section", "url", "slug", "title", "description", "category", "tags", "draft", "faq_schema",
          "related", "aliases", "author", "layout", "fields", "refs")


def to_record(article: Article) -> dict:
    """A JSON-safe record of a parsed article (everything but its Body), for the persistent cache."""
    record = {name: getattr(article, name) for name in FIELDS}
    record["date"] = article.date.isoformat() if article.date else None
    record["updated"] = article.updated.isoformat() if article.updated else None
    record["lines"] = [[list(k), v] for k, v in article.lines.items()]
    conv = article.converted
    record["components"] = [[c.token, c.name, list(c.args), [list(kw) for kw in c.kwargs], c.source, c.line, c.block]
                            for c in conv.components]
    record["headings"] = [[h.level, h.id, h.text] for h in conv.headings]
    record["words"] = conv.words
    return record


def freeze(value):
    """Lists (as JSON gives them back) as tuples, as a call's arguments are parsed."""
    return tuple(freeze(v) for v in value) if isinstance(value, (list, tuple)) else value


def from_record(record: dict, key: str, complete: bool = True) -> Article:
    """The Article of a cache record (`complete=False`: of a slim one, named as slim() names it). Raises KeyError,
    TypeError or ValueError on anything malformed."""
    converted = Converted(
        components=tuple(Component(t, n, freeze(a), tuple((str(k), freeze(v)) for k, v in kw), s, int(ln), bool(b))
                         for t, n, a, kw, s, ln, b in record["components"]),
        headings=tuple(Heading(int(lv), i, t) for lv, i, t in record["headings"]),
        words=int(record["words"]),
    )
    values = {name: record[name] for name in FIELDS}
    for name in ("tags", "refs", "related", "aliases"):
        values[name] = tuple(values[name])
    if not isinstance(values["fields"], dict):
        raise TypeError("fields")
    if not complete:
        intern = sys.intern
        values["category"] = intern(values["category"])
        values["tags"] = tuple(map(intern, values["tags"]))
        values["refs"] = tuple(map(intern, values["refs"]))
    return Article(
        **values,
        date=_date(record["date"]),
        updated=dt.date.fromisoformat(record["updated"]) if record["updated"] else None,
        converted=converted,
        key=key,
        lines={tuple(k): int(v) for k, v in record["lines"]},
        complete=complete,
    )
