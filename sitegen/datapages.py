"""Pages from data: `collections:` in data/site.yaml declares pages generated from data files.

    collections:
      roles:
        data: roles               # dotted path into `data`: a mapping id -> record, or a list of records with an `id`
        template: role.html       # rendered once per record, with `item` (the record), `id` and `articles`
        url: "roles/{id}/"        # {id} and {field} of the record
        title: "{title}"          # the page's title and description, from the record's fields
        description: "{summary}"
        lastmod: as_of            # optional: the record's date field (the sitemap's lastmod, with its articles')
        index: {template: roles.html, url: "roles/", title: "Roles", description: "{count} roles.", sort: title}

A record's page lists the articles whose x-data-ref fields name it (`articles`). Only `{name}` placeholders are
filled in (no format specs, no attribute access): the settings are data, not code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from .data import DataSet, records
from .errors import Problem
from .model import Article, Page, data_key

FIELD_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}")


class CollectionError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def fill(pattern: str, values: dict[str, Any], where: tuple[str, int], what: str) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1)
        if name not in values or isinstance(values[name], (dict, list)):
            raise CollectionError([Problem(where[0], where[1], f"{what}: '{{{name}}}' names no field of this record "
                                                               f"(fields: {', '.join(sorted(map(str, values)))})")])
        return str(values[name])

    return FIELD_RE.sub(one, pattern)


def _date(value: Any, where: tuple[str, int], what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CollectionError([Problem(where[0], where[1], f"{what}: expected a date (YYYY-MM-DD), got "
                                                           f"{str(value)[:40]!r}")]) from None


def _out(url: str) -> str:
    return url + "index.html" if url.endswith("/") or not url else url


def sort_key(field: str | None):
    def key(pair: tuple[str, Any]):
        value = pair[1].get(field) if field and isinstance(pair[1], Mapping) else pair[0]
        return (str(value).lower() if isinstance(value, str) else str(value), pair[0])
    return key


def plan(settings: dict, data: DataSet, articles: tuple[Article, ...]) -> list[Page]:
    """Every collection's pages, in a stable order; CollectionError with every problem found."""
    by_ref: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for ref in dict.fromkeys(article.refs):
            by_ref[ref].append(article)
    pages: list[Page] = []
    problems: list[Problem] = []
    for name, spec in (settings.get("collections") or {}).items():
        try:
            pages += _collection(name, spec, data, by_ref)
        except CollectionError as exc:
            problems += exc.problems
    if problems:
        raise CollectionError(problems)
    return pages


def _collection(name: str, spec: dict, data: DataSet, by_ref: dict[str, list[Article]]) -> list[Page]:
    source = data.get(spec["data"])
    if source is None:
        known = ", ".join(sorted(data.files))
        raise CollectionError([Problem("data/site.yaml", 1, f"collections.{name}.data: there is no data.{spec['data']} "
                                                            f"(data files: {known})")])
    items = records(source.value)
    if not items and not isinstance(source.value, (dict, list)):
        raise CollectionError([Problem(source.rel, 1, f"collection {name}: data.{spec['data']} is not a mapping of "
                                                      "records or a list of records with an id")])
    what = f"collection {name}"
    pages, lastmods = [], []
    for key, record in sorted(items.items(), key=sort_key(spec.get("sort"))):
        where = data.record_line(spec["data"], key)
        values = {**(record if isinstance(record, dict) else {}), "id": key}
        url = fill(spec["url"], values, where, f"{what} url").lstrip("/")
        ref = data_key(spec["data"], key)
        showing = tuple(by_ref.get(ref, ()))
        own = _date(values.get(spec["lastmod"]), where, f"{what} lastmod") if spec.get("lastmod") else None
        dates = ([own] if own else []) + [(a.updated or a.date) for a in showing if a.date]
        lastmods += [own] if own else []
        pages.append(Page(url, _out(url), spec["template"], "record", fill(spec.get("title", "{id}"), values, where,
                                                                           f"{what} title"),
                          fill(spec.get("description", ""), values, where, f"{what} description"),
                          record=ref, items=showing, lastmod=max(dates, default=None),
                          extra={"collection": name, "id": key, "index": (spec.get("index") or {}).get("url")}))
    index = spec.get("index")
    if index:
        counts = {"count": len(items)}
        url = index["url"].lstrip("/")
        crumb = index.get("crumb") or index.get("title") or name
        head = Page(url, _out(url), index["template"], "records", fill(index.get("title", name), counts,
                                                                       ("data/site.yaml", 1), what),
                    fill(index.get("description", ""), counts, ("data/site.yaml", 1), what),
                    lastmod=max(lastmods, default=None),
                    extra={"collection": name, "data": spec["data"], "sort": spec.get("sort"), "crumb": crumb})
        pages = [head] + [_with_crumb(p, crumb) for p in pages]
    return pages


def view(data, dotted: str):
    """`data.<dotted>` through templates' recording view (each record read is recorded)."""
    found = data
    for part in dotted.split("."):
        found = found[part]
    return found


def view_records(value, key: str | None = None) -> dict[str, Any]:
    """id -> record of a (recording) mapping or a list of records with an `id`; with `key`, that record alone
    (a mapping then reads only it)."""
    if isinstance(value, Mapping):
        return {key: value[key]} if key is not None else {str(k): value[k] for k in value}
    found = records(value)
    return {key: found[key]} if key is not None else found


def record_url(settings: dict, data, collection: str, key: str) -> str:
    """The site-relative URL of a record's page (`record_url("roles", id)` in templates)."""
    spec = (settings.get("collections") or {}).get(collection)
    if spec is None:
        raise KeyError(f"no collection '{collection}' in data/site.yaml")
    record = view_records(view(data, spec["data"]), str(key))[str(key)]
    values = {**(record if isinstance(record, Mapping) else {}), "id": str(key)}
    return fill(spec["url"], values, ("data/site.yaml", 1), f"collection {collection} url").lstrip("/")


def _with_crumb(page: Page, crumb: str) -> Page:
    page.extra["crumb"] = crumb
    return page
