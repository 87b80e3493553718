"""`python build.py new`: the article it writes from templates/archetypes/article.md, and what it refuses."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import lxml.html
import pytest
import yaml

from conftest import REPO, run_cli, snapshot, write_site
from sitegen.newpost import indefinite, markdown_text, plural, yaml_value

EPOCH = "1798675200"  # what run_cli sets SOURCE_DATE_EPOCH to
TODAY = dt.datetime.fromtimestamp(int(EPOCH), dt.timezone.utc).date().isoformat()  # 2026-12-31 (UTC)
ROLES = "alpha-engineer,beta-engineer"  # the roles of tests/fixtures/minimal/data/roles.yaml
KNOWN = "of data.roles (it has: alpha-engineer, beta-engineer)"


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("\n---\n", 1)[0][4:])


def new(site: Path, *args: str, env: dict[str, str] | None = None):
    return run_cli("new", *args, "--site", site, env=env)


def page(site: Path, slug: str) -> Path:
    return site / "output" / "blog" / slug / "index.html"


def test_new_with_roles_writes_the_skeleton(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    result = new(site, "Alpha Engineer vs Beta Engineer", "--set", f"roles={ROLES}")
    assert (result.returncode, result.stdout, result.stderr) == (0, "created content/alpha-engineer-vs-beta-engineer.md\n", "")

    text = (site / "content/alpha-engineer-vs-beta-engineer.md").read_text("utf-8")
    lines = text.splitlines()
    assert lines[:8] == [
        "---",
        'title: "Alpha Engineer vs Beta Engineer"',
        'description: "TODO: replace with one or two sentences for lists, search results and social cards."',
        f"date: {TODAY}",
        'category: "Hiring"',
        "tags: []",
        'roles: ["alpha-engineer", "beta-engineer"]',
        "draft: true",
    ]
    meta = front_matter(text)
    assert meta["date"] == dt.date.fromisoformat(TODAY) and meta["draft"] is True
    assert meta["roles"] == ["alpha-engineer", "beta-engineer"]
    assert '{{ salary("alpha-engineer") }}' in meta["quick_answer"] and '{{ salary("beta-engineer") }}' in meta["quick_answer"]

    body = text.split("\n---\n", 1)[1]
    blocks = [line for line in body.splitlines() if line.startswith("{{")]
    assert blocks == [
        "{{ quick_answer() }}",
        '{{ responsibilities("alpha-engineer") }}',
        '{{ responsibilities("beta-engineer") }}',
        "{{ salary_table() }}",
        '{{ skills("alpha-engineer") }}',
        '{{ skills("beta-engineer") }}',
    ]
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == [
        "## What does an Alpha Engineer do?",
        "## What does a Beta Engineer do?",
        "## How do Alpha Engineer and Beta Engineer salaries compare?",
        "## Which skills should you look for in an Alpha Engineer?",
        "## Which skills should you look for in a Beta Engineer?",
        "## Which role fits your team?",
        "## Conclusion",
    ]
    assert text.endswith("\n") and not text.endswith("\n\n") and "\r" not in text
    assert not any(line != line.rstrip() for line in lines), "no trailing spaces"


def test_the_date_is_source_date_epoch(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    assert new(site, "Dated", env={"SOURCE_DATE_EPOCH": "1767225600"}).returncode == 0  # 2026-01-01T00:00Z
    assert "\ndate: 2026-01-01\n" in (site / "content/dated.md").read_text()


def test_the_new_article_builds_cleanly_with_drafts_and_is_left_out_without(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    assert new(site, "Alpha Engineer vs Beta Engineer", "--set", f"roles={ROLES}").returncode == 0

    result = run_cli("--site", site, "--drafts")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    html_path = page(site, "alpha-engineer-vs-beta-engineer")
    doc = lxml.html.fromstring(html_path.read_bytes())
    assert doc.cssselect("h1")[0].text_content() == "Alpha Engineer vs Beta Engineer"
    text = doc.text_content()
    assert "~$205K" in text  # the salary of alpha-engineer, from data, in the quick answer and the table
    assert "Designs alpha systems." in text  # responsibilities("alpha-engineer")
    assert "{{" not in html_path.read_text()
    questions = [h.text_content().strip() for h in doc.cssselect("h2") if h.text_content().strip().endswith("?")]
    assert "Which role fits your team?" in questions and "What does an Alpha Engineer do?" in questions

    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    assert not page(site, "alpha-engineer-vs-beta-engineer").exists()


def test_front_matter_is_valid_per_the_schema(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    assert new(site, "Alpha notes", "--set", "roles=alpha-engineer", "--category", "Guides").returncode == 0
    meta = front_matter((site / "content/alpha-notes.md").read_text())
    meta = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in meta.items()}
    schema = json.loads((REPO / "schemas/article.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(meta)) == []
    assert meta["category"] == "Guides"


def test_one_role(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    assert new(site, "Hiring an Alpha Engineer", "--set", "roles=alpha-engineer").returncode == 0
    text = (site / "content/hiring-an-alpha-engineer.md").read_text()
    assert "## How much does an Alpha Engineer earn?" in text and "beta" not in text
    result = run_cli("--site", site, "--drafts")
    assert result.returncode == 0, result.stderr
    assert page(site, "hiring-an-alpha-engineer").is_file()


def test_without_roles_a_generic_skeleton_builds(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    result = new(site, "Interview tips")
    assert (result.returncode, result.stdout) == (0, "created content/interview-tips.md\n")
    text = (site / "content/interview-tips.md").read_text()
    meta = front_matter(text)
    assert meta["roles"] == [] and meta["tags"] == [] and meta["draft"] is True and meta["category"] == "Hiring"
    assert "quick_answer" not in text and "{{" not in text
    assert "\n## Conclusion\n" in text
    result = run_cli("--site", site, "--drafts")
    assert result.returncode == 0, result.stderr
    assert page(site, "interview-tips").is_file()


def test_a_title_with_quotes_colon_and_markup_is_quoted_and_escaped(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    title = 'Alpha vs "Beta": <b>who</b> wins? #1 & {{ salary("x") }} \'n\' *more*'
    result = new(site, title, "--set", f"roles={ROLES}", "--category", "no")
    assert result.returncode == 0, result.stderr
    rel = result.stdout.strip().removeprefix("created ")
    assert rel == "content/alpha-vs-beta-b-who-b-wins-1-salary-x-n-more.md"
    text = (site / rel).read_text("utf-8")
    assert f"title: {json.dumps(title)}" in text.splitlines()
    meta = front_matter(text)
    assert meta["title"] == title and meta["category"] == "no"  # not the boolean false

    result = run_cli("--site", site, "--drafts")
    assert result.returncode == 0, result.stderr
    raw = page(site, "alpha-vs-beta-b-who-b-wins-1-salary-x-n-more").read_text("utf-8")
    assert "<b>who</b>" not in raw and "&lt;b&gt;who&lt;/b&gt;" in raw
    assert lxml.html.fromstring(raw).cssselect("h1")[0].text_content() == title


def test_role_titles_are_escaped_in_markdown(tmp_path: Path) -> None:
    roles = (Path(__file__).parent / "fixtures/minimal/data/roles.yaml").read_text()
    roles = roles.replace("title: Alpha Engineer", 'title: "Alpha <i>*Engineer*</i> {{ x }}"')
    site = write_site(tmp_path / "site", {"data/roles.yaml": roles})
    assert new(site, "Odd", "--set", f"roles={ROLES}").returncode == 0
    result = run_cli("--site", site, "--drafts")
    assert result.returncode == 0, result.stderr
    doc = lxml.html.fromstring(page(site, "odd").read_bytes())
    assert "What does an Alpha <i>*Engineer*</i> {{ x }} do?" in [h.text_content().strip() for h in doc.cssselect("h2")]
    assert not doc.cssselect("h2 i, h2 em")


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    before = snapshot(site / "content")
    result = new(site, "Alpha vs Beta", "--set", f"roles={ROLES}")  # the fixture's content/alpha-vs-beta.md
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "error: content/alpha-vs-beta.md already exists; choose another title or pass --slug\n"
    assert snapshot(site / "content") == before

    result = new(site, "Something else", "--slug", "gamma")
    assert (result.returncode, result.stderr) == (1, "error: content/gamma.md already exists; choose another title or pass --slug\n")
    assert snapshot(site / "content") == before


def test_refuses_a_slug_another_article_uses(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/old.md": "---\ntitle: Old\ndescription: d\ndate: 2026-01-01\ncategory: Hiring\nslug: fresh-start\n---\n\nText.\n",
    })
    before = snapshot(site / "content")
    result = new(site, "Fresh start")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "error: slug 'fresh-start' is already used by content/old.md; choose another title or pass --slug\n"
    assert snapshot(site / "content") == before


def test_slug_option(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    result = new(site, "Alpha vs Beta", "--slug", "alpha-vs-beta-2027")
    assert (result.returncode, result.stdout) == (0, "created content/alpha-vs-beta-2027.md\n")
    result = new(site, "X", "--slug", "Not A Slug")
    assert result.returncode == 1
    assert result.stderr == "error: --slug 'Not A Slug': use lowercase letters, digits and single hyphens (like my-article)\n"


def test_refuses_an_unknown_role(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    before = snapshot(site / "content")
    result = new(site, "Alpha vs Gamma", "--set", "roles=alpha-engineer,gamma-engineer")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: --set roles: unknown key 'gamma-engineer' {KNOWN}\n"
    assert snapshot(site / "content") == before and not (site / "content/alpha-vs-gamma.md").exists()

    result = new(site, "Two typos", "--set", "roles=alpa-engineer, beta-engineer ,betta")
    assert result.stderr.splitlines() == [f"error: --set roles: unknown key 'alpa-engineer' {KNOWN}",
                                          f"error: --set roles: unknown key 'betta' {KNOWN}"]
    assert snapshot(site / "content") == before


def test_reports_an_invalid_roles_file(tmp_path: Path) -> None:
    roles = (Path(__file__).parent / "fixtures/minimal/data/roles.yaml").read_text()
    site = write_site(tmp_path / "site", {"data/roles.yaml": roles.replace("job_postings: 137", "job_postings: lots")})
    before = snapshot(site / "content")
    result = new(site, "Alpha vs Beta again", "--set", f"roles={ROLES}")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        'data/roles.yaml:25: beta-engineer.job_postings: expected integer, got string "lots"',
        "error: data.roles has problems; fix them before using --set roles (nothing written)",
    ]
    assert snapshot(site / "content") == before


def test_reports_a_broken_archetype(tmp_path: Path) -> None:
    archetype = (REPO / "templates/archetypes/article.md").read_text()
    site = write_site(tmp_path / "site", {"templates/archetypes/article.md": archetype.replace("{{ date }}", "{{ date }")})
    result = new(site, "Broken")
    assert (result.returncode, result.stderr) == (1, "templates/archetypes/article.md:4: template syntax error: unexpected '}'\n")

    write_site(site, {"templates/archetypes/article.md": archetype.replace("{{ date }}", '"soon"')}, base=None, theme=False)
    result = new(site, "Broken")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: templates/archetypes/article.md produced an invalid file (nothing written):",
        '  content/broken.md:4: date: expected a date (YYYY-MM-DD), got "soon"',
    ]

    write_site(site, {"templates/archetypes/article.md": None}, base=None, theme=False)
    result = new(site, "Broken")
    assert (result.returncode, result.stderr) == (
        1, "error: templates/archetypes/article.md not found: 'new' writes the file from that archetype "
           "(archetypes: page)\n")
    assert not (site / "content/broken.md").exists()


def test_the_archetype_starts_with_its_front_matter() -> None:
    assert (REPO / "templates/archetypes/article.md").read_text("utf-8").startswith("---\ntitle: {{ title | yaml }}\n")


def test_help_lists_new() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "python build.py new" in result.stdout and "--set FIELD=VALUE" in result.stdout


@pytest.mark.parametrize("text", [
    'a "quoted" title', "colon: here", "#hash", "- dash", "no", "12:30", "0123", "'single'", "back\\slash",
    "tab\there", "line\u2028sep", "next\x85line", "bom\ufeff", "caf\u00e9 \U0001f680", "{{ braces }}", "[x]", "&anchor",
    "*alias", "!tag", "% percent", "@at", "`tick`", "> gt", "| pipe",
])
def test_yaml_value_round_trips(text: str) -> None:
    assert yaml.load(f"key: {yaml_value(text)}\n", Loader=yaml.SafeLoader) == {"key": text}
    assert yaml.load(f"key: {yaml_value([text, 'b'])}\n", Loader=yaml.SafeLoader) == {"key": [text, "b"]}


def test_text_helpers() -> None:
    assert [indefinite(t) for t in ("AI Engineer", "ML Engineer", "Data Engineer", "UX Designer", "Engineer")] == [
        "an AI Engineer", "an ML Engineer", "a Data Engineer", "a UX Designer", "an Engineer"]
    assert [plural(t) for t in ("Data Engineer", "Boss", "Secretary", "Analyst")] == [
        "Data Engineers", "Bosses", "Secretaries", "Analysts"]
    assert markdown_text('<b>*x*</b> & {{ y }} [z]') == r"&lt;b&gt;\*x\*&lt;/b&gt; &amp; &#123;&#123; y &#125;&#125; \[z\]"
    assert re.fullmatch(r"[^\n]*", markdown_text("two\nlines"))
