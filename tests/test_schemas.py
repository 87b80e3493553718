"""The site's JSON Schemas in schemas/ (the site's own, not the package's defaults) are what editors validate with: plain `jsonschema` over them must
reject exactly what the build rejects, accept the repository's own files, and the data files must point at them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import FIXTURES, REPO, run_cli, write_site
from sitegen import yamlutil
from sitegen.schemas import Schemas, validate

SCHEMAS = REPO / "schemas"
NAMES = ("article", "page", "roles", "site")
ARTICLE = "content/alpha-vs-beta.md"
GOOD_ARTICLE = (FIXTURES / "minimal" / ARTICLE).read_text("utf-8")
GOOD_ROLES = (FIXTURES / "minimal/data/roles.yaml").read_text("utf-8")
GOOD_SITE = (FIXTURES / "minimal/data/site.yaml").read_text("utf-8")


def load_schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))


def validator(name: str) -> jsonschema.Draft202012Validator:
    cls = jsonschema.Draft202012Validator
    return cls(load_schema(name), format_checker=cls.FORMAT_CHECKER)


def plain(value):
    """YAML dates as ISO strings, as an editor's YAML language server sees them (YAML 1.2: a date is a string)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def front_matter(text: str):
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:].split("\n---\n", 1)[0])


def schema_errors(name: str, document: str) -> list[str]:
    data = front_matter(document) if name in ("article", "page") else yaml.safe_load(document)
    return [error.message for error in validator(name).iter_errors(plain(data))]


def fm(**changes: str | None) -> str:
    """The fixture article with front-matter fields replaced (or, with None, removed)."""
    lines = GOOD_ARTICLE.split("\n")
    for key, value in changes.items():
        index = next((i for i, line in enumerate(lines) if line.startswith(f"{key}:")), None)
        if index is None:
            lines.insert(lines.index("---", 1), f"{key}: {value}")
        elif value is None:
            del lines[index]
        else:
            lines[index] = f"{key}: {value}"
    return "\n".join(lines)


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# (file, its new text) -> both the schema and the build must reject it
BAD = {
    # article front matter
    "article: missing title": (ARTICLE, fm(title=None)),
    "article: missing description": (ARTICLE, fm(description=None)),
    "article: missing date": (ARTICLE, fm(date=None)),
    "article: missing category": (ARTICLE, fm(category=None)),
    "article: date in words": (ARTICLE, fm(date="June 5th")),
    "article: date without day": (ARTICLE, fm(date="2026-06")),
    "article: updated in words": (ARTICLE, fm(updated="soon")),
    "article: title read as a boolean": (ARTICLE, fm(title="no")),
    "article: title read as a number": (ARTICLE, fm(title="2026")),
    "article: empty title": (ARTICLE, fm(title='""')),
    "article: empty category": (ARTICLE, fm(category='""')),
    "article: tags as text": (ARTICLE, fm(tags="AI, Hiring")),
    "article: empty tag": (ARTICLE, fm(tags='[AI, ""]')),
    "article: roles as text": (ARTICLE, fm(roles="alpha-engineer")),
    "article: empty quick answer": (ARTICLE, fm(quick_answer='""')),
    "article: slug with spaces": (ARTICLE, fm(slug="Alpha vs Beta")),
    "article: draft as text": (ARTICLE, fm(draft="maybe")),
    "article: faq_schema as text": (ARTICLE, fm(faq_schema="sometimes")),
    "article: cta as a number": (ARTICLE, fm(cta="1")),
    "article: related as text": (ARTICLE, fm(related="gamma")),
    "article: author as a list": (ARTICLE, fm(author="[A, B]")),
    "article: misspelt field": (ARTICLE, fm(categroy="Hiring")),
    "article: front matter is a list": (ARTICLE, "---\n- title\n- date\n---\n\nText.\n"),
    # data/roles.yaml
    "roles: salary as text": ("data/roles.yaml", replaced(GOOD_ROLES, "median_base: 205000", 'median_base: "205K"')),
    "roles: fractional salary": ("data/roles.yaml", replaced(GOOD_ROLES, "median_base: 205000", "median_base: 205000.5")),
    "roles: negative postings": ("data/roles.yaml", replaced(GOOD_ROLES, "job_postings: 137", "job_postings: -1")),
    "roles: postings as text": ("data/roles.yaml", replaced(GOOD_ROLES, "job_postings: 137", "job_postings: lots")),
    "roles: missing source": ("data/roles.yaml", replaced(GOOD_ROLES, "  source: Fixture survey\n", "")),
    "roles: unknown currency": ("data/roles.yaml", replaced(GOOD_ROLES, "currency: USD", "currency: BTC")),
    "roles: as_of in words": ("data/roles.yaml", replaced(GOOD_ROLES, "as_of: 2026-06-05", "as_of: June 2026")),
    "roles: misspelt role field": ("data/roles.yaml", replaced(GOOD_ROLES, "  source: Fixture survey\n",
                                                                 "  source: Fixture survey\n  sauce: x\n")),
    "roles: role id with capitals": ("data/roles.yaml", replaced(GOOD_ROLES, "beta-engineer:", "Beta_Engineer:")),
    "roles: no responsibilities": ("data/roles.yaml", replaced(
        GOOD_ROLES, "  responsibilities:\n    - name: Training\n      detail: Trains beta models.\n",
        "  responsibilities: []\n")),
    "roles: item without detail": ("data/roles.yaml", replaced(GOOD_ROLES, "      detail: Knows statistics.\n", "")),
    "roles: no roles": ("data/roles.yaml", "{}\n"),
    "roles: unknown top-level key": ("data/roles.yaml", GOOD_ROLES + "people: []\n"),
    "roles: empty file": ("data/roles.yaml", "# nothing yet\n"),
    # data/site.yaml
    "site: base_url without trailing slash": ("data/site.yaml", replaced(GOOD_SITE, "base_url: https://fixture.example/",
                                                                           "base_url: https://fixture.example")),
    "site: relative base_url": ("data/site.yaml", replaced(GOOD_SITE, "base_url: https://fixture.example/", "base_url: /blog/")),
    "site: language in words": ("data/site.yaml", replaced(GOOD_SITE, "language: en", "language: English")),
    "site: missing cta": ("data/site.yaml", GOOD_SITE.split("cta:\n")[0] + "page_size: 10\n"),
    "site: zero page size": ("data/site.yaml", replaced(GOOD_SITE, "page_size: 10", "page_size: 0")),
    "site: faq_schema as text": ("data/site.yaml", GOOD_SITE + "faq_schema: sometimes\n"),
    "site: navigation item without url": ("data/site.yaml", replaced(GOOD_SITE, "  - title: Blog\n    url: /\n",
                                                                        "  - title: Blog\n")),
    "site: organisation url without scheme": ("data/site.yaml", replaced(GOOD_SITE, "url: https://fixture.example/about/",
                                                                            "url: fixture.example/about/")),
    "site: misspelt field": ("data/site.yaml", GOOD_SITE + "titel: Oops\n"),
}


def schema_name(rel: str) -> str:
    if rel.startswith("content/pages/"):
        return "page"
    return "article" if rel.startswith("content/") else Path(rel).stem


@pytest.mark.parametrize("case", list(BAD))
def test_the_schema_rejects_it(case: str) -> None:
    rel, text = BAD[case]
    assert schema_errors(schema_name(rel), text), f"{case}: plain jsonschema accepted it"


@pytest.mark.parametrize("case", list(BAD))
def test_the_build_rejects_it_naming_the_file(tmp_path: Path, case: str) -> None:
    rel, text = BAD[case]
    site = write_site(tmp_path / "site", {rel: text})
    result = run_cli("--site", site)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert any(line.startswith(f"{rel}:") for line in result.stderr.splitlines()), result.stderr


@pytest.mark.parametrize("case", list(BAD))
def test_the_build_finds_the_same_problem_in_process(case: str) -> None:
    """The build's validator (yamlutil) uses the very same schema files, so it flags the document too."""
    rel, text = BAD[case]
    name = schema_name(rel)
    if name == "article":
        data, lines = yamlutil.load(text[4:].split("\n---\n", 1)[0], line_offset=1)
    else:
        data, lines = yamlutil.load(text)
    if data is None:
        data = {}
    assert validate(data, lines, Schemas.load(REPO).get(name), rel)


def repo_documents() -> list[tuple[str, str, str]]:
    """(schema, site-relative path, text) for every data file and article of the repository and the fixtures."""
    found = []
    for root in (REPO, FIXTURES / "minimal"):
        for path in sorted((root / "data").glob("*.yaml")):
            found.append((path.stem, str(path.relative_to(REPO)), path.read_text("utf-8")))
        for path in sorted((root / "content").rglob("*.md")):
            rel = str(path.relative_to(REPO))
            found.append((schema_name(rel.removeprefix("tests/fixtures/minimal/")), rel, path.read_text("utf-8")))
    return found


@pytest.mark.parametrize("name,rel,text", repo_documents(), ids=[d[1] for d in repo_documents()])
def test_the_schemas_accept_the_repository_files(name: str, rel: str, text: str) -> None:
    assert schema_errors(name, text) == []


def test_the_build_accepts_the_repository_site(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", base="repo")
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_fixture_site_builds(tmp_path: Path) -> None:
    result = run_cli("--site", write_site(tmp_path / "site"))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_valid_per_its_metaschema(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator


@pytest.mark.parametrize("name", NAMES)
def test_the_build_uses_the_same_schema_files(name: str) -> None:
    assert not SCHEMAS.is_symlink() and SCHEMAS.is_dir()  # the site's own folder, not a link into the package
    found = Schemas.load(REPO)
    assert found.own(name) and found.get(name).value == load_schema(name)


@pytest.mark.parametrize("path", sorted((REPO / "data").glob("*.yaml")), ids=lambda p: p.name)
def test_data_files_reference_their_schema_on_the_first_line(path: Path) -> None:
    first = path.read_text("utf-8").splitlines()[0]
    assert first == f"# yaml-language-server: $schema=../schemas/{path.stem}.schema.json"
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target.is_file() and json.loads(target.read_text("utf-8"))["$schema"].endswith("/2020-12/schema")
