"""`python build.py check`: build the site in memory, write nothing, and report what readers and search engines would
trip over, one finding a line: `path:line: level: message`.

It is the build itself (pipeline.Session.build) with an inspection, SiteCheck, in place of rendering and writing:
the article store in a temporary file and no build record; each planned page is rendered in the build's workers,
analysed, and only its findings and ids (for #anchors) are kept, so memory stays bounded. Page analysis is in checks_html.py, the
Markdown source scans in checks_source.py; this module adds the site-wide findings (titles and descriptions,
unused records of collections, stale records) and prints the report.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import checks_html, yamlutil
from .assemble import alias_url
from .options import Options
from .checks_html import ERROR, WARNING, PageReport, Shared
from .cardspec import KIND
from .images import KIND as IMAGE
from .errors import BuildError, Problem
from .model import Article, Page, data_key
from .checks_source import DataNumbers
from .data import records
from .pages import article_url
from .pipeline import Session
from .workers import Pool, Setup, forget_renderer, renderer_for

DEFAULTS = {"stale_after_days": 365, "title_length": (15, 60), "description_length": (50, 160)}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}"


@dataclass
class Report:
    findings: list[Finding]
    pages: int

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.level == WARNING)


class Findings:
    """Findings as they come. One found in a template or data file on many pages is reported once, with the first
    page it was seen on and how many more."""

    def __init__(self) -> None:
        self.direct: set[Finding] = set()
        self.shared: dict[Finding, list] = {}  # finding -> [first page, pages, last page]

    def add(self, path: str, line: int, level: str, message: str, page: str | None = None) -> None:
        finding = Finding(path, max(1, line), level, message)
        if page is None:
            self.direct.add(finding)
        elif finding in self.shared:
            seen = self.shared[finding]
            if seen[2] != page:  # pages arrive one after the other: count each once
                seen[1] += 1
                seen[2] = page
        else:
            self.shared[finding] = ["/" + page, 1, page]

    def sorted(self, base_path: str = "/") -> list[Finding]:
        out = set(self.direct)
        for f, (first, count, _last) in self.shared.items():
            first = base_path + first[1:]
            more = f" and {count - 1} more page{'s' if count > 2 else ''}" if count > 1 else ""
            out.add(Finding(f.path, f.line, f.level, f"{f.message} (on {first}{more})"))
        return sorted(out)


# -- settings ----------------------------------------------------------------------------------------------------
def site_yaml(root: Path) -> tuple[object, dict]:
    """data/site.yaml with its lines, read once for the settings and the data links ((None, {}) if unreadable;
    the build has already reported why)."""
    try:
        return yamlutil.load((root / "data" / "site.yaml").read_text("utf-8-sig"))
    except (OSError, UnicodeDecodeError, yamlutil.YamlSyntaxError):
        return None, {}


def settings(data: object, lines: dict) -> tuple[dict, list[Finding]]:
    """The optional `check:` settings of data/site.yaml (already validated by the schema), with defaults."""
    if not isinstance(data, dict):
        return dict(DEFAULTS), []
    given = (data or {}).get("check") or {}
    values = {**DEFAULTS, **{k: (tuple(v) if isinstance(v, list) else v) for k, v in given.items()}}
    problems = []
    for name in ("title_length", "description_length"):
        low, high = values[name]
        if low > high:
            line = lines.get(("check", name), 1)
            problems.append(Finding("data/site.yaml", line, ERROR, f"check.{name}: the minimum {low} is above the maximum {high}"))
            values[name] = DEFAULTS[name]
    return values, problems


def data_links(data: object, lines: dict) -> dict[str, tuple[str, int]]:
    """Text values of data/site.yaml (navigation and organisation URLs, the call to action's link ...) -> their line,
    so that a broken link a template takes from there is reported there."""
    found: dict[str, tuple[str, int]] = {}

    def walk(value, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, path + (index,))
        elif isinstance(value, str) and path[:1] != ("check",):
            found.setdefault(value, ("data/site.yaml", lines.get(path, 1)))

    walk(data, ())
    return found


# -- site-wide findings -------------------------------------------------------------------------------------------
def _length(found: Findings, article: Article, name: str, value: str, bounds: tuple[int, int]) -> None:
    low, high = bounds
    n = len(value)
    if n > high:
        found.add(article.path, article.line_of(name), WARNING,
                  f"{name} is too long for search results: {n} characters (at most {high})")
    elif n < low:
        found.add(article.path, article.line_of(name), WARNING,
                  f"{name} is too short for search results: {n} characters (at least {low})")


def article_findings(found: Findings, articles: tuple[Article, ...], config: dict) -> None:
    """Titles and descriptions: length for search results, and the same text on two articles."""
    seen: dict[tuple[str, str], str] = {}
    for article in sorted(articles, key=lambda a: a.path):
        _length(found, article, "title", article.title, config["title_length"])
        _length(found, article, "description", article.description, config["description_length"])
        for name, level in (("title", ERROR), ("description", WARNING)):
            key = (name, " ".join(getattr(article, name).casefold().split()))
            if key in seen:
                found.add(article.path, article.line_of(name), level, f"duplicate {name}: {seen[key]} has the same {name}")
            else:
                seen[key] = article.path


def collection_findings(found: Findings, assembled, every_article: list[Article], today: dt.date,
                        stale_after_days: int) -> None:
    """Records of a collection that no article names (drafts and scheduled articles count: in an x-data-ref field
    or as a component's argument), and records whose `lastmod` date is older than the configured age."""
    named: set[str] = set()
    for article in every_article:
        named.update(article.refs)
        named.update(str(a) for c in article.converted.components for a in c.args)
    data = assembled.data
    for collection, spec in (assembled.site.get("collections") or {}).items():
        found_file = data.get(spec["data"])
        if found_file is None:
            continue
        for key, record in records(found_file.value).items():
            rel, line = data.record_line(spec["data"], key)
            if data_key(spec["data"], key) not in named and key not in named:
                found.add(rel, line, WARNING, f"{collection} '{key}' is not used by any article (no x-data-ref field "
                                              "or component call names it)")
            when = record.get(spec["lastmod"]) if spec.get("lastmod") and isinstance(record, dict) else None
            try:
                age = (today - dt.date.fromisoformat(str(when))).days if when else 0
            except ValueError:
                continue
            if age > stale_after_days:
                found.add(rel, line, WARNING, f"{collection} '{key}': {spec['lastmod']} {when} is {age} days old "
                                              f"(more than {stale_after_days}); update the record's figures and "
                                              f"{spec['lastmod']}")


# -- rendering and analysing every page ----------------------------------------------------------------------------
# What the worker processes need, set in each one by the pool's initializer (inherited with fork, pickled once per
# worker with spawn): a task is then just a range of pages
_job: tuple[Shared, Setup, list[Page]] | None = None


def _set_check_job(job: tuple[Shared, Setup, list[Page]] | None) -> None:
    global _job
    _job = job


def _check_range(bounds: tuple[int, int]) -> list[PageReport]:
    assert _job is not None, "start the pool with initializer=_set_check_job"
    shared, setup, pages = _job
    renderer = renderer_for(setup)
    return [checks_html.analyse(shared, renderer, page) for page in pages[bounds[0] : bounds[1]]]


class SiteCheck:
    """The build's inspection for `check` (pipeline.Inspection): the planned pages are rendered in memory and
    analysed, in the build's own workers, and nothing is written. `report` holds the result."""

    def __init__(self) -> None:
        self.report: Report | None = None

    def run(self, session, assembled, pages: list[Page], assets: dict[str, str], pool: Pool) -> None:
        checks_html._template_text.clear()
        site_data, site_lines = site_yaml(session.paths.root)
        config, found_settings = settings(site_data, site_lines)
        every_article = [article for _stamp, article in session.files.values()]  # drafts and future ones too
        shared = _shared(session, assembled, pages, assets, every_article, data_links(site_data, site_lines))
        # (_shared sees every page, image variants too: links to them are links to files that will be there)
        found = Findings()
        for f in found_settings:
            found.add(f.path, f.line, f.level, f.message)
        article_findings(found, assembled.articles, config)
        collection_findings(found, assembled, every_article, session.options.today, config["stale_after_days"])
        setup = Setup(ident=f"check-{id(session)}-{time.perf_counter_ns()}", site=assembled.site,
                      data=assembled.data, templates_dir=str(session.paths.templates), assets=assets,
                      store=str(session.store.path),
                      images=session.images.pictures if session.images is not None else None)
        pages = [page for page in pages if page.kind != IMAGE]  # image variants: no HTML to analyse (cards are drawn)
        try:
            if pool.wanted(len(pages)):
                reports = (r for chunk in pool.imap(_check_range, pool.ranges(len(pages)), initializer=_set_check_job,
                                                    job=(shared, setup, pages)) for r in chunk)
            else:
                renderer = renderer_for(setup)
                reports = (checks_html.analyse(shared, renderer, page) for page in pages)
            _collect(found, reports)
        finally:
            forget_renderer(setup.ident)  # its reader points at the temporary store, deleted with the session
        # the social cards are drawn too (a title no card font can draw is a problem), but they are not pages
        self.report = Report(found.sorted(assembled.site.base_path), sum(p.kind != KIND for p in pages))


def _shared(session, assembled, pages: list[Page], assets: dict[str, str], every_article: list[Article],
            links: dict[str, tuple[str, int]]) -> Shared:
    """What every page's analysis needs to know about the whole site."""
    urls = {p.url for p in pages} | {p.output for p in pages} | set(assets.values()) | {".nojekyll"}
    index = {p.output: p.url for p in pages}
    aliases = {}
    for article in assembled.articles:
        for alias in article.aliases:
            aliases[alias_url(alias)] = article_url(article)
    hidden = {}
    listed = {a.path for a in assembled.articles + assembled.pages}
    for article in every_article:
        if article.path in listed:
            continue
        why = (("a draft", f"{article.path} has draft: true") if article.draft
               else ("an unpublished article", f"{article.path} is dated {article.date}"))
        for address in [article_url(article), article_url(article) + "index.html"] + [alias_url(x) for x in article.aliases]:
            hidden.setdefault(address, why)
    site = assembled.site
    fields = {kind: session.schemas.get(kind).markdown_fields() for kind in ("article", "page")}
    return Shared(session.paths.root, site.base_url, site.base_path, urls, index, hidden, aliases, links,
                  DataNumbers.of(assembled.data), fields, str(session.paths.templates))


def _collect(found: Findings, reports) -> None:
    """Every page's findings; links to another page's #anchor are judged once all pages' ids are known."""
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    pending = []
    for report in reports:
        if report.problem is not None:
            problems.append(report.problem)
            continue
        if report.ids is not None:
            ids[report.url] = report.ids
        for path, line, level, message, page in report.found:
            found.add(path, line, level, message, page)
        pending.extend(report.pending)
    if problems:
        raise BuildError(problems)
    known: dict[str, set[str]] = {}
    for target, fragment, (path, line, level, message, page) in pending:
        if target not in known:
            known[target] = set(ids[target].split("\n")) if target in ids else set()
        if fragment not in known[target]:
            found.add(path, line, level, message, page)


def check_site(root: Path, options: Options, jobs: int | None = None) -> Report:
    """Check the site at `root` without writing anything: the build with an inspection instead of a writer.
    Raises BuildError for problems in the sources."""
    # Session wants an output folder to refuse unsafe ones; check writes none, so it gets one that does not exist
    nowhere = Path(tempfile.gettempdir()) / f"sitegen-check-{os.getpid()}-{time.time_ns()}"
    session = Session(root, nowhere, options, jobs=jobs, cache=False, progress=False)
    inspection = SiteCheck()
    try:
        session.build(inspect=inspection)
    finally:
        session.close()
    assert inspection.report is not None
    return inspection.report


def run(root: Path, options: Options, strict: bool = False, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The command: print the findings and a summary; 1 on any error (with --strict, on any warning), else 0."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        report = check_site(root, options)
    except BuildError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        count = len(exc.problems)
        print(f"check failed: {count} problem{'s' if count != 1 else ''} in the sources; nothing was checked", file=err)
        return 1
    for finding in report.findings:
        print(finding, file=out)
    errors, warnings = report.errors, report.warnings
    print(f"check: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
          f" in {report.pages} pages", file=out)
    return 1 if errors or (strict and warnings) else 0
