"""`python build.py check`: every finding kind, triggered by a fixture, with the exact line printed and the exit status;
--strict; the settings in data/site.yaml; problems in the sources printed as the build prints them; the repository's
own site; and that check writes nothing.

tests/fixtures/check is a small site check finds nothing wrong with. Each case changes one thing in it and expects
exactly the findings it names. Line numbers are looked up in the text the case writes, so they are exact.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli, snapshot, write_site
from sitegen.options import Options
from sitegen.check import check_site

GUIDE = "content/hiring-guide.md"
ALPHA = "content/alpha-vs-beta.md"
BASE = "templates/base.html"
GUIDE_TEXT = (FIXTURES / "check" / GUIDE).read_text()
ALPHA_TEXT = (FIXTURES / "check" / ALPHA).read_text()
ROLES_TEXT = (FIXTURES / "check/data/roles.yaml").read_text()
SITE_TEXT = (FIXTURES / "check/data/site.yaml").read_text()
BASE_TEXT = (Path(__file__).resolve().parents[1] / BASE).read_text()
ARTICLE_TEMPLATE = (Path(__file__).resolve().parents[1] / "templates/article.html").read_text()
HTML_PAGES = 13  # home, 2 articles, 2 categories, 3 tags, the roles index, 2 role pages, search, 404
EVERY_PAGE = f"(on / and {HTML_PAGES - 1} more pages)"
TODAY = dt.date(2026, 12, 31)  # SOURCE_DATE_EPOCH of run_cli


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing `needle`."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


USE = "insert it with a component that reads the data"
ALPHA_PAY = f"data.roles['alpha-engineer'].salary.median_base (data/roles.yaml:{line_of(ROLES_TEXT, 'median_base: 205000')})"
BETA_PAY = f"data.roles['beta-engineer'].salary.median_base (data/roles.yaml:{line_of(ROLES_TEXT, 'median_base: 220000')})"


def guide(extra: str) -> str:
    """The guide with Markdown added at the end of its body."""
    return GUIDE_TEXT + "\n" + extra + "\n"


def in_main(html: str) -> str:
    """base.html with markup added at the start of <main> (on every page)."""
    return BASE_TEXT.replace('<main id="main" class="wrap">\n', '<main id="main" class="wrap">\n' + html + "\n", 1)


def fm(text: str, **changes: str) -> str:
    """Replace front-matter fields (`key: value` lines)."""
    lines = text.split("\n")
    for key, value in changes.items():
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
        lines[index] = f"{key}: {value}"
    return "\n".join(lines)


DRAFT = fm(GUIDE_TEXT, title='"The Secret Plan for Hiring Engineers"', tags="[Hiring]\ndraft: true",
           description='"Our plan for hiring engineers next year, which is not ready to be published yet."')


def check(site: Path, *args: str) -> tuple[int, list[str], str]:
    result = run_cli("check", "--site", site, *args)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout.splitlines(), result.stderr


def summary(errors: int, warnings: int, pages: int = 18) -> str:
    return (f"check: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
            f" in {pages} pages")


def expect(site: Path, findings: list[str], *args: str) -> None:
    """check prints exactly these findings and the summary, with the exit status they imply."""
    errors = sum(": error: " in f for f in findings)
    status, out, err = check(site, *args)
    pages = int(out[-1].rsplit(" in ", 1)[1].split()[0]) if out else 0
    assert out == findings + [summary(errors, len(findings) - errors, pages)], err
    assert status == (1 if errors else 0)
    assert err == ""


# -- the clean fixture ----------------------------------------------------------------------------------------------

def test_the_fixture_checks_clean(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", base="check")
    assert check(site) == (0, [summary(0, 0)], "")
    assert check(site, "--strict") == (0, [summary(0, 0)], "")


def test_the_repository_site_checks_clean(tmp_path: Path) -> None:
    """No errors and no warnings, even with --strict."""
    site = write_site(tmp_path / "site", base="repo")
    status, out, err = check(site, "--strict")
    assert (status, err) == (0, "")
    assert out == ["check: 0 errors, 0 warnings in 18 pages"]


def test_check_writes_nothing(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", base="check", files={GUIDE: guide("See [pricing](/pricing/).")})
    before = snapshot(site)
    names = sorted(p.name for p in site.iterdir())
    status, out, _err = check(site)
    assert status == 1 and len(out) == 2
    assert snapshot(site) == before
    assert sorted(p.name for p in site.iterdir()) == names == ["content", "data", "schemas", "static", "templates"]
    # a site that was built before: its output/ and .sitegen-cache/ are left exactly as they were
    assert run_cli("--site", site).returncode == 0
    before = snapshot(site)
    check(site)
    assert snapshot(site) == before


# -- every finding kind ---------------------------------------------------------------------------------------------

def _cases() -> dict[str, tuple[dict[str, str | None], list[str]]]:
    cases: dict[str, tuple[dict[str, str | None], list[str]]] = {}

    def add(name: str, files: dict[str, str | None], findings: list[str]) -> None:
        cases[name] = (files, findings)

    # links and anchors, in Markdown
    text = guide("See our [pricing](/pricing/).")
    add("broken internal link", {GUIDE: text},
        [f"{GUIDE}:{line_of(text, '(/pricing/)')}: error: link to /pricing/ leads nowhere"])
    text = guide("Browse [the roles](/roles).")
    add("internal link without its trailing slash", {GUIDE: text},
        [f"{GUIDE}:{line_of(text, '(/roles)')}: error: link to /roles leads nowhere; did you mean /roles/?"])
    text = guide("Jump to [pay](#pay).")
    add("anchor missing on the same page", {GUIDE: text},
        [f'{GUIDE}:{line_of(text, "(#pay)")}: error: link to #pay: this page has no anchor "pay"'])
    text = guide("Read [the pay section](/blog/alpha-vs-beta/#pay).")
    add("anchor missing on another page", {GUIDE: text},
        [f'{GUIDE}:{line_of(text, "#pay)")}: error: link to /blog/alpha-vs-beta/#pay: /blog/alpha-vs-beta/ has no anchor "pay"'])
    text = guide("Read [the first question](/blog/alpha-vs-beta/#what-does-an-alpha-engineer-do).")
    add("anchor present on another page", {GUIDE: text}, [])
    text = guide("See [our plan](/blog/secret/).")
    add("link to a draft", {GUIDE: text, "content/secret.md": DRAFT},
        [f"{GUIDE}:{line_of(text, '(/blog/secret/)')}: error: link to a draft: /blog/secret/ (content/secret.md has draft: true)"])
    later = fm(GUIDE_TEXT, title='"The Hiring Plan for Next Decade"', date="2030-01-01")
    text = guide("See [next decade](/blog/later/).")
    add("link to an article not published yet", {GUIDE: text, "content/later.md": later},
        [f"{GUIDE}:{line_of(text, '(/blog/later/)')}: error: link to an unpublished article: /blog/later/ "
         "(content/later.md is dated 2030-01-01)"])
    text = guide("The [old address](/old/alpha/) still works.")
    add("link to an old address", {GUIDE: text, ALPHA: ALPHA_TEXT.replace("tags:", "aliases: [/old/alpha/]\ntags:")},
        [f"{GUIDE}:{line_of(text, '(/old/alpha/)')}: warning: link to an old address: /old/alpha/ redirects to "
         "/blog/alpha-vs-beta/; link to that instead"])

    # links and anchors, in templates and data
    html = in_main("<a href=\"{{ url('about/') }}\">About us</a>")
    add("broken link in a template", {BASE: html},
        [f"{BASE}:{line_of(html, 'About us')}: error: link to /about/ leads nowhere {EVERY_PAGE}"])
    html = in_main('<a href="#top-of-page">Back to the top</a>')
    add("anchor missing in a template", {BASE: html},
        [f'{BASE}:{line_of(html, "Back to the top")}: error: link to #top-of-page: this page has no anchor "top-of-page" {EVERY_PAGE}'])
    text = SITE_TEXT.replace("url: /roles/", "url: /team/")
    add("broken navigation link in data/site.yaml", {"data/site.yaml": text},
        [f"data/site.yaml:{line_of(text, 'url: /team/')}: error: link to /team/ leads nowhere {EVERY_PAGE}"])

    # images
    text = guide("![](https://example.com/chart.png)")
    add("image without alt text in Markdown", {GUIDE: text},
        [f"{GUIDE}:{line_of(text, 'chart.png')}: error: image without alt text: https://example.com/chart.png"])
    html = in_main('<img src="https://example.com/logo.png" width="10" height="10">\n'
                   '<img src="https://example.com/rule.png" alt="" width="10" height="10">')
    add("image without alt text in a template (alt=\"\" is decorative there)", {BASE: html},
        [f"{BASE}:{line_of(html, 'logo.png')}: error: image without alt text: https://example.com/logo.png {EVERY_PAGE}"])

    # headings
    text = guide("#### Deep dive\n\nText.")
    add("skipped heading level in Markdown", {GUIDE: text},
        [f'{GUIDE}:{line_of(text, "#### Deep dive")}: error: heading "Deep dive" skips a level: h4 after h2 (use h3)'])
    html = ARTICLE_TEMPLATE.replace("<h1>{{ article.title }}</h1>", "<h1>{{ article.title }}</h1>\n    <h3>At a glance</h3>")
    add("skipped heading level in a template", {"templates/article.html": html},
        [f"templates/article.html:{line_of(html, 'At a glance')}: error: heading skips a level: h3 after h1 (use h2) "
         "(on /blog/alpha-vs-beta/ and 1 more page)"])
    text = guide("# Another title\n\nText.")
    add("more than one h1", {GUIDE: text},
        [f'{GUIDE}:{line_of(text, "# Another title")}: warning: more than one h1 on the page: "Another title"; '
         "the title is the h1, use ## for sections"])

    html = BASE_TEXT.replace("<footer class=\"site-footer\">", "<footer class=\"site-footer\">\n<h1>Fine print</h1>")
    add("more than one h1 in a template", {BASE: html},
        [f"{BASE}:{line_of(html, 'Fine print')}: warning: more than one h1 on the page; the title is the h1, "
         f"use h2 for sections {EVERY_PAGE}"])

    # titles and descriptions for search results
    add("title too long", {GUIDE: fm(GUIDE_TEXT, title='"A Short Guide to Hiring Engineers, Written for Busy Founders in 2026"')},
        [f"{GUIDE}:2: warning: title is too long for search results: 68 characters (at most 60)"])
    add("title too short", {GUIDE: fm(GUIDE_TEXT, title="Hiring")},
        [f"{GUIDE}:2: warning: title is too short for search results: 6 characters (at least 15)"])
    add("description too long", {GUIDE: fm(GUIDE_TEXT, description='"' + "Hiring engineers, step by step. " * 6 + '"')},
        [f"{GUIDE}:3: warning: description is too long for search results: 192 characters (at most 160)"])
    add("description too short", {GUIDE: fm(GUIDE_TEXT, description="How to hire.")},
        [f"{GUIDE}:3: warning: description is too short for search results: 12 characters (at least 50)"])
    copy = fm(GUIDE_TEXT, description='"Another text about opening a requisition for an engineering role and about interviews."')
    add("duplicate title", {"content/interview-guide.md": copy},
        ["content/interview-guide.md:2: error: duplicate title: content/hiring-guide.md has the same title"])
    copy = fm(GUIDE_TEXT, title='"Interviewing Engineers, Briefly"')
    add("duplicate description", {"content/interview-guide.md": copy},
        ["content/interview-guide.md:3: warning: duplicate description: content/hiring-guide.md has the same description"])

    # Python-Markdown traps
    text = guide("Three things matter:\n- scope\n- budget\n- time")
    add("list directly after a paragraph line", {GUIDE: text},
        [f"{GUIDE}:{line_of(text, '- scope')}: warning: list directly after a paragraph line renders as plain text: "
         "add a blank line before it"])
    text = guide("Steps:\n\n- outer\n  - inner one\n  - inner two\n- outer two")
    add("nested list indented by two spaces", {GUIDE: text},
        [f"{GUIDE}:{line_of(text, 'inner one')}: warning: nested list indented by 2 spaces: Python-Markdown flattens it; "
         "indent nested lists by 4 spaces"])
    text = guide("1. first\n   - under it\n2. second")
    add("nested list indented by three spaces", {GUIDE: text},
        [f"{GUIDE}:{line_of(text, 'under it')}: warning: nested list indented by 3 spaces: Python-Markdown flattens it; "
         "indent nested lists by 4 spaces"])

    # figures typed into prose
    text = guide("An Alpha Engineer earns $205K a year.")
    add("typed salary that data has", {GUIDE: text},
        [f'{GUIDE}:{line_of(text, "earns $205K")}: warning: figure "$205K" typed in prose is {ALPHA_PAY}; {USE}'])
    text = guide("Beta Engineers make 220,000 dollars.")
    add("typed salary in words", {GUIDE: text},
        [f'{GUIDE}:{line_of(text, "220,000")}: warning: figure "220,000 dollars" typed in prose is {BETA_PAY}; {USE}'])
    text = guide("There are 530 open Alpha Engineer positions.")
    add("typed posting count that data has", {GUIDE: text},
        [f'{GUIDE}:{line_of(text, "530")}: warning: figure "530" typed in prose is '
         f"data.roles['alpha-engineer'].job_postings (data/roles.yaml:{line_of(ROLES_TEXT, 'job_postings: 530')}); {USE}"])
    text = guide("The gap is about $15K.")
    add("typed salary gap", {GUIDE: text},
        [f'{GUIDE}:{line_of(text, "$15K")}: warning: figure "$15K" typed in prose is '
         f"data.roles['beta-engineer'].salary.median_base - data.roles['alpha-engineer'].salary.median_base; {USE}"])
    text = guide("A signing bonus of $12,500 helps.")
    add("typed figure that data lacks", {GUIDE: text},
        [f'{GUIDE}:{line_of(text, "$12,500")}: warning: figure "$12,500" typed in prose and not in any data file; '
         "put it in data and insert it with a component"])
    text = ALPHA_TEXT.replace("{{ salary(\"beta-engineer\") }}; see", "$220K; see")
    add("typed figure in the quick answer", {ALPHA: text},
        [f'{ALPHA}:{line_of(text, "$220K")}: warning: figure "$220K" typed in prose is {BETA_PAY}; {USE}'])
    text = guide('Write `$205K` or `530 jobs` in code, {{ salary("alpha-engineer") }} from data, '
                 "[a link](https://example.com/205000-usd), the 2026 jobs report.\n\n"
                 "```\nEUR 205,000\n```")
    add("no figures in code, components, links or years", {GUIDE: text}, [])

    # data
    gamma = ROLES_TEXT.replace("\nbeta-engineer:", "\ngamma-engineer:\n" + ROLES_TEXT.split("alpha-engineer:\n")[1]
                               .split("\nbeta-engineer:")[0] + "\nbeta-engineer:")
    add("role no article uses", {"data/roles.yaml": gamma},
        [f"data/roles.yaml:{line_of(gamma, 'gamma-engineer:')}: warning: roles 'gamma-engineer' is not used by any "
         "article (no x-data-ref field or component call names it)"])
    stale = ROLES_TEXT.replace("as_of: 2026-06-05", "as_of: 2025-06-05", 2).replace("as_of: 2025-06-05", "as_of: 2026-06-05", 1)
    add("stale figures", {"data/roles.yaml": stale},
        [f"data/roles.yaml:{line_of(stale, 'beta-engineer:')}: warning: roles 'beta-engineer': as_of 2025-06-05 "
         "is 574 days old (more than 365); update the record's figures and as_of"])
    return cases


CASES = _cases()


@pytest.mark.parametrize("name", list(CASES))
def test_finding(tmp_path: Path, name: str) -> None:
    files, findings = CASES[name]
    site = write_site(tmp_path / "site", base="check", files=files)
    expect(site, findings)


def test_a_base_path_in_base_url(tmp_path: Path) -> None:
    """Markdown links are reported as written (before the base path is put in front), template links as output."""
    text = guide("Read [the pay section](/blog/alpha-vs-beta/#pay) and [the old one](/old/alpha/).")
    html = in_main("<a href=\"{{ url('about/') }}\">About us</a>")
    site = write_site(tmp_path / "site", base="check", files={
        "data/site.yaml": SITE_TEXT.replace("https://fixture.example/", "https://fixture.example/insights/"),
        GUIDE: text, BASE: html, ALPHA: ALPHA_TEXT.replace("tags:", "aliases: [/old/alpha/]\ntags:")})
    line = line_of(text, "#pay")
    expect(site, [
        f'{GUIDE}:{line}: error: link to /blog/alpha-vs-beta/#pay: /blog/alpha-vs-beta/ has no anchor "pay"',
        f"{GUIDE}:{line}: warning: link to an old address: /old/alpha/ redirects to /blog/alpha-vs-beta/; "
        "link to that instead",
        f"{BASE}:{line_of(html, 'About us')}: error: link to /insights/about/ leads nowhere "
        f"(on /insights/ and {HTML_PAGES - 1} more pages)",  # the alias redirect page does not use base.html
    ])


def test_strict_fails_on_warnings(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", base="check", files={GUIDE: guide("It pays $205K.")})
    status, out, _ = check(site)
    assert (status, out[-1]) == (0, summary(0, 1))
    status, out, _ = check(site, "--strict")
    assert (status, out[-1]) == (1, summary(0, 1))
    write_site(site, {GUIDE: guide("It pays $205K. See [pricing](/pricing/).")}, base=None, theme=False)
    assert check(site)[0] == 1
    assert check(site, "--strict")[0] == 1


def test_drafts_and_future_are_checked_when_included(tmp_path: Path) -> None:
    draft = DRAFT
    site = write_site(tmp_path / "site", base="check", files={
        GUIDE: guide("See [our plan](/blog/secret/)."),
        "content/secret.md": draft.replace("## Before you start", "## Before you start\n\nSee [nowhere](/nowhere/)."),
    })
    status, out, _ = check(site)
    assert status == 1 and out[0].endswith("error: link to a draft: /blog/secret/ (content/secret.md has draft: true)")
    status, out, _ = check(site, "--drafts")
    assert out == [f"content/secret.md:{line_of(draft, '## Before you start') + 2}: error: link to /nowhere/ leads nowhere",
                   summary(1, 0, 19)]


def test_settings_in_site_yaml(tmp_path: Path) -> None:
    settings = SITE_TEXT + "check:\n  stale_after_days: 30\n  title_length: [10, 30]\n  description_length: [20, 200]\n"
    site = write_site(tmp_path / "site", base="check", files={"data/site.yaml": settings})
    expect(site, [
        f"{ALPHA}:2: warning: title is too long for search results: 31 characters (at most 30)",
        f"{GUIDE}:2: warning: title is too long for search results: 33 characters (at most 30)",
        "data/roles.yaml:2: warning: roles 'alpha-engineer': as_of 2026-06-05 is 209 days old (more than 30); "
        "update the record's figures and as_of",
        "data/roles.yaml:17: warning: roles 'beta-engineer': as_of 2026-06-05 is 209 days old (more than 30); "
        "update the record's figures and as_of",
    ])
    settings = SITE_TEXT + "check:\n  title_length: [70, 60]\n"
    write_site(site, {"data/site.yaml": settings}, base=None, theme=False)
    expect(site, [f"data/site.yaml:{line_of(settings, 'title_length')}: error: check.title_length: the minimum 70 "
                  "is above the maximum 60"])


@pytest.mark.parametrize("files", [
    {"data/roles.yaml": ROLES_TEXT.replace("  title: Beta Engineer", "  title: [Beta Engineer")},
    {"data/site.yaml": SITE_TEXT + "check:\n  stale_days: 30\n"},
    {"templates/partials/cta.html": "<section>\n  <h2>{{ cta.heading }}</h2>\n  <p>{{ cta.subtitle }}</p>\n</section>\n"},
    {GUIDE: GUIDE_TEXT.replace("roles: [alpha-engineer]", "roles: [alpha-enginer]")},
], ids=["bad YAML", "unknown check setting", "template error", "unknown role"])
def test_problems_in_the_sources_are_printed_as_the_build_prints_them(tmp_path: Path, files: dict[str, str]) -> None:
    site = write_site(tmp_path / "site", base="check", files=files)
    build = run_cli("--site", site)
    problems = build.stderr.splitlines()[:-1]
    assert build.returncode == 1 and problems
    result = run_cli("check", "--site", site)
    count = len(problems)
    assert result.stderr.splitlines() == problems + [
        f"check failed: {count} problem{'s' if count != 1 else ''} in the sources; nothing was checked"]
    assert (result.returncode, result.stdout) == (1, "")


def test_missing_site_folder(tmp_path: Path) -> None:
    result = run_cli("check", "--site", tmp_path / "nope")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: --site {tmp_path / 'nope'}: no such folder\n")


def test_help_lists_check() -> None:
    result = run_cli("--help")
    assert "python build.py check" in result.stdout and "--strict" in result.stdout


def test_worker_processes_find_the_same(tmp_path: Path) -> None:
    """Above 48 pages the pages are rendered and analysed in worker processes: same findings, same order."""
    files: dict[str, str | None] = {BASE: in_main("<a href=\"{{ url('about/') }}\">About us</a>")}
    for n in range(40):
        files[f"content/note-{n:02}.md"] = fm(guide(f"Note {n}: see [pricing](/pricing/) and [pay](#pay-{n})."),
                                              title=f'"Hiring Note Number {n:02} for Busy Teams"',
                                              description=f'"Hiring note number {n:02}: what to settle before you open a requisition."')
    site = write_site(tmp_path / "site", base="check", files=files)
    serial = check_site(site, Options(today=TODAY), jobs=1)
    parallel = check_site(site, Options(today=TODAY), jobs=2)
    assert serial.pages == parallel.pages > 48
    assert serial.findings == parallel.findings
    assert (serial.errors, serial.warnings) == (81, 0)
    assert str(serial.findings[-1]) == f"{BASE}:{line_of(files[BASE], 'About us')}: error: link to /about/ leads nowhere " \
                                       f"(on / and {serial.pages - 6} more pages)"
    assert sorted(os.listdir(site)) == ["content", "data", "schemas", "static", "templates"]
