"""Every editor mistake: one `path:line: message` line per problem, exit 1, no traceback, output/ untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, snapshot, write_site

ARTICLE = "content/alpha-vs-beta.md"
GOOD = (Path(__file__).parent / "fixtures/minimal" / ARTICLE).read_text()
ROLES = (Path(__file__).parent / "fixtures/minimal/data/roles.yaml").read_text()


def fm(text: str, **changes: str | None) -> str:
    """Replace (or with None remove) front-matter fields of the fixture article."""
    lines = text.split("\n")
    for key, value in changes.items():
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
        if value is None:
            del lines[index]
        else:
            lines[index] = f"{key}: {value}"
    return "\n".join(lines)


CASES = {
    "bad YAML in a data file": (
        {"data/roles.yaml": ROLES.replace("  title: Beta Engineer", "  title: [Beta Engineer")},
        ["data/roles.yaml:21: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence"],
    ),
    "bad YAML in front matter": (
        {ARTICLE: fm(GOOD, title='"Alpha vs Beta')},
        [f"{ARTICLE}:8: invalid YAML: did not find expected key while parsing a block mapping"],
    ),
    "front matter never closed": (
        {ARTICLE: "---\ntitle: x\ndate: 2026-01-01\n\nBody text\n"},
        [f"{ARTICLE}:1: front matter is never closed: add a line '---' after it"],
    ),
    "no front matter": (
        {ARTICLE: "# Just a heading\n"},
        [f"{ARTICLE}:1: missing front matter: the file must start with a line '---'"],
    ),
    "missing title": (
        {ARTICLE: fm(GOOD, title=None)},
        [f"{ARTICLE}:2: missing required field 'title'"],
    ),
    "ill-typed date": (
        {ARTICLE: fm(GOOD, date="June 5th")},
        [f'{ARTICLE}:4: date: expected a date (YYYY-MM-DD), got "June 5th"'],
    ),
    "impossible date": (
        {ARTICLE: fm(GOOD, date="2026-13-01")},
        [f"{ARTICLE}:4: invalid date '2026-13-01': month must be in 1..12"],
    ),
    "title that YAML reads as a boolean": (
        {ARTICLE: fm(GOOD, title="no")},
        [f"{ARTICLE}:2: title: expected string, got boolean false (YAML reads yes/no/on/off as booleans "
         "and 12:30 or 0123 as numbers: put the value in quotes)"],
    ),
    "unknown front-matter field": (
        {ARTICLE: fm(GOOD, category="Hiring\ncategroy: Oops")},
        [f"{ARTICLE}:6: categroy: unknown field"],
    ),
    "wrong type in roles.yaml": (
        {"data/roles.yaml": ROLES.replace("median_base: 205000", 'median_base: "205K"')},
        ['data/roles.yaml:6: alpha-engineer.salary.median_base: expected integer, got string "205K"'],
    ),
    "missing field in roles.yaml": (
        {"data/roles.yaml": ROLES.replace("  source: Fixture survey\n", "", 1)},
        ["data/roles.yaml:2: alpha-engineer: missing required field 'source'"],
    ),
    "unknown role in front matter": (
        {ARTICLE: fm(GOOD, roles="[alpha-engineer, gamma-engineer]")},
        [f"{ARTICLE}:7: roles: unknown key 'gamma-engineer' of data.roles (data/roles.yaml has: alpha-engineer, "
         "beta-engineer)"],
    ),
    "unknown role in a component": (
        {ARTICLE: GOOD.replace('pays {{ salary("alpha-engineer") }}', 'pays {{ salary("alpha-enginer") }}')},
        [f"{ARTICLE}:15: component salary(): unknown role 'alpha-enginer' (data/roles.yaml has: alpha-engineer, beta-engineer)"],
    ),
    "unknown field in a component": (
        {ARTICLE: GOOD.replace('pays {{ salary("alpha-engineer") }}', 'pays {{ role("alpha-engineer", "bonus") }}')},
        [f"{ARTICLE}:15: component role(): unknown field 'bonus' (fields: title, summary, source, as_of, job_postings, median_base, currency)"],
    ),
    "unknown component": (
        {ARTICLE: GOOD.replace("{{ salary_table() }}", "{{ salary_graph() }}")},
        [f"{ARTICLE}:21: unknown component 'salary_graph' (templates/components/ has: cta, picture, postings, quick_answer, "
         "responsibilities, role, salary, salary_chart, salary_gap, salary_table, skills)"],
    ),
    "a component call without its argument": (
        {ARTICLE: GOOD.replace("Beta is ahead by", "See {{ salary() }}. Beta is ahead by")},
        [f"{ARTICLE}:23: component salary(): missing argument 'id' (the signature is salary(id))"],
    ),
    "a component call with an argument it does not take": (
        {ARTICLE: GOOD.replace("Beta is ahead by", 'See {{ salary("alpha-engineer", year=2026) }}. Beta is ahead by')},
        [f"{ARTICLE}:23: component salary(): unexpected argument 'year' (the signature is salary(id))"],
    ),
    "duplicate slug": (
        {"content/copy.md": fm(GOOD, title="Copy", date="2026-06-06") .replace("tags:", "slug: alpha-vs-beta\ntags:")},
        ["content/copy.md:6: slug 'alpha-vs-beta' is already used by content/alpha-vs-beta.md"],
    ),
    "file that is not UTF-8": (
        {"content/latin1.md": "---\ntitle: Caf\xe9\n---\n".encode("latin-1")},
        ["content/latin1.md:2: file is not UTF-8 text (byte 0xe9 cannot be decoded); save it as UTF-8"],
    ),
    "Jinja syntax error": (
        {"templates/partials/related.html": "{% if related %}\n<p>{{ related | }}</p>\n{% endif %}\n"},
        ["templates/partials/related.html:2: template syntax error: expected token 'name', got 'end of print statement'"],
    ),
    "undefined variable in a template": (
        {"templates/partials/cta.html": "<section>\n  <h2>{{ cta.heading }}</h2>\n  <p>{{ cta.subtitle }}</p>\n</section>\n"},
        ["templates/partials/cta.html:3: undefined: 'dict object' has no attribute 'subtitle'"],
    ),
    "missing template": (
        {"templates/list.html": None},
        ["templates/list.html:1: template 'list.html' not found in templates/"],
    ),
    "missing included template": (
        {"templates/partials/cta.html": "<section>\n{% include 'partials/promo.html' %}\n</section>\n"},
        ["templates/partials/cta.html:2: template 'partials/promo.html' not found in templates/"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_editor_mistake(tmp_path: Path, name: str) -> None:
    files, expected = CASES[name]
    site = write_site(tmp_path / "site")
    first = run_cli("--site", site)
    assert first.returncode == 0, first.stderr
    before = snapshot(site / "output")
    write_site(site, files, base=None, theme=False)

    result = run_cli("--site", site)

    lines = result.stderr.splitlines()
    assert lines[:-1] == expected
    assert lines[-1] == f"build failed: {len(expected)} problem{'s' if len(expected) > 1 else ''}; output left unchanged"
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert snapshot(site / "output") == before
    assert sorted(p.name for p in site.iterdir()) == [".sitegen-cache", "content", "data", "output", "schemas", "static", "templates"]


def test_all_problems_of_one_run_are_reported_together(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "data/roles.yaml": ROLES.replace("job_postings: 137", "job_postings: lots"),
        ARTICLE: fm(GOOD, date="soon"),
        "content/gamma.md": "---\ntitle: [\n---\n",
    })
    result = run_cli("--site", site)
    assert result.stderr.splitlines() == [
        "content/alpha-vs-beta.md:4: date: expected a date (YYYY-MM-DD), got \"soon\"",
        "content/gamma.md:3: invalid YAML: did not find expected node content while parsing a flow node",
        'data/roles.yaml:25: beta-engineer.job_postings: expected integer, got string "lots"',
        "build failed: 3 problems; output left unchanged",
    ]
    assert result.returncode == 1
    assert not (site / "output").exists()
