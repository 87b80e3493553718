"""Data files: `data/site.yaml` (site settings) and `data/roles.yaml` (facts per role), validated by schema."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from . import yamlutil
from .errors import Problem
from .model import CallToAction, Item, NavLink, Role, Site

SITE_FILE = "data/site.yaml"
ROLES_FILE = "data/roles.yaml"


def _load(text: str, path: str, schema: str, known: yamlutil.KnownValid | None) -> tuple[dict | None, dict, list[Problem]]:
    try:
        data, lines = yamlutil.load(text)
    except yamlutil.YamlSyntaxError as exc:
        return None, {}, [Problem(path, exc.line, exc.message)]
    if data is None:
        data = {}
    problems = yamlutil.validate(data, lines, schema, path, known)
    return (None if problems else data), lines, problems


def parse_site(text: str, path: str = SITE_FILE, base_url: str | None = None,
               known: yamlutil.KnownValid | None = None) -> tuple[Site | None, list[Problem]]:
    """Site settings; `base_url` (from --base-url) replaces the file's own, checked by the same schema. `known`:
    where data found valid before is remembered (yamlutil.validate)."""
    data, _lines, problems = _load(text, path, "site", known)
    if data is None:
        return None, problems
    if base_url is not None:
        data = {**data, "base_url": base_url}
    org = data["organisation"]
    cta = data["cta"]
    site = Site(
        title=data["title"],
        description=data["description"],
        base_url=data["base_url"],
        base_path=urlsplit(data["base_url"]).path or "/",
        language=data["language"],
        organisation_name=org["name"],
        organisation_url=org["url"],
        organisation_logo=org.get("logo"),
        author=data.get("author"),
        navigation=tuple(NavLink(n["title"], n["url"]) for n in data["navigation"]),
        cta=CallToAction(cta["heading"], cta["text"], cta["link_text"], cta["link_url"]),
        faq_schema=data.get("faq_schema", True),
        page_size=data.get("page_size", 10),
        words_per_minute=data.get("words_per_minute", 230),
    )
    return site, []


def parse_roles(text: str, path: str = ROLES_FILE,
                known: yamlutil.KnownValid | None = None) -> tuple[dict[str, Role] | None, list[Problem]]:
    data, lines, problems = _load(text, path, "roles", known)
    if data is None:
        return None, problems
    roles = {}
    for role_id, r in data["roles"].items():
        roles[role_id] = Role(
            id=role_id,
            title=r["title"],
            summary=r["summary"],
            median_base=r["salary"]["median_base"],
            currency=r["salary"]["currency"],
            job_postings=r["job_postings"],
            as_of=dt.date.fromisoformat(r["as_of"]),
            source=r["source"],
            responsibilities=tuple(Item(i["name"], i["detail"]) for i in r["responsibilities"]),
            skills=tuple(Item(i["name"], i["detail"]) for i in r["skills"]),
            frameworks=tuple(r.get("frameworks", ())),
            tools=tuple(r.get("tools", ())),
            line=yamlutil.line_of(lines, ("roles", role_id)),
        )
    return roles, []
