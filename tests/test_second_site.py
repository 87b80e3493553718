"""A second site with another domain (programming languages, tests/fixtures/langs) built by the same engine: its own
data files (YAML, and CSV in a subfolder), schemas, components (inline, block, keyword arguments, fail(), a Markdown
field), pages, a second layout and a collection; none of the hiring blog's files. Each error of the content model
with its exact message, exit status 1 and output/ unchanged; a data edit and a component edit against a clean build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import lxml.html
import pytest

from conftest import FIXTURES, REPO, run_cli, snapshot
from sitegen.pipeline import build

LANGS = FIXTURES / "langs"
NOTE = "content/python-vs-rust.md"
GO = "content/go-notes.md"
ABOUT = "content/pages/about.md"
COMPONENTS = "callout, lang_name, released, startup_table, verdict"
LAYOUTS = "404, article, base, compare, language, languages, list, page, redirect"


def copy_site(tmp_path: Path, files: dict[str, str | None] | None = None) -> Path:
    site = tmp_path / "langs"
    shutil.copytree(LANGS, site)
    edit(site, files or {})
    return site


def edit(site: Path, files: dict[str, str | None]) -> None:
    for rel, text in files.items():
        if text is None:
            (site / rel).unlink()
        else:
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            (site / rel).write_text(text, encoding="utf-8")


def text_of(rel: str) -> str:
    return (LANGS / rel).read_text("utf-8")


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


def html(site: Path, rel: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / "output" / rel).read_bytes())


def test_none_of_the_hiring_blogs_files_are_used() -> None:
    names = {p.relative_to(LANGS).as_posix() for p in LANGS.rglob("*") if p.is_file()}
    assert not any("role" in n or "salary" in n for n in names)
    for folder in ("templates", "schemas", "data"):
        for path in (LANGS / folder).rglob("*"):
            if path.is_file():
                assert not (REPO / folder / path.relative_to(LANGS / folder)).exists() or \
                    path.read_bytes() != (REPO / folder / path.relative_to(LANGS / folder)).read_bytes()


def test_it_builds_with_its_own_data_schemas_components_pages_layouts_and_collections(tmp_path: Path) -> None:
    site = copy_site(tmp_path)
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    note = html(site, "blog/python-vs-rust/index.html")
    body = note.cssselect(".body")[0]
    assert body.cssselect("p")[0].text_content() == "Python appeared in 1991 and Rust in 2015."  # inline, YAML
    rows = [(r.cssselect("th")[0].text_content(), r.cssselect("td")[0].text_content()) for r in body.cssselect("tr")]
    assert rows == [("Python", "19.5 ms"), ("Rust", "1 ms"), ("Go", "2 ms")]  # the CSV: numbers as numbers
    assert body.cssselect("aside.callout--warn")[0].text_content() == "Measure on your own machine."  # keyword
    verdict = body.cssselect("section.verdict")[0]  # page.verdict: a Markdown field, with a component inside
    assert verdict.cssselect("strong")[0].text_content() == "faster"
    assert verdict.text_content() == "VerdictRust starts faster; Python ships sooner.Winner: Rust"
    assert note.cssselect("p.meta")[0].text_content().endswith("difficulty 3/5")  # page.<field> of the schema
    assert [a.get("href") for a in note.cssselect("article > p a")] == ["/languages/python/", "/languages/rust/"]

    go = html(site, "blog/go-notes/index.html")  # layout: compare
    assert go.cssselect("h1")[0].text_content() == "Compared: Notes on Go"
    assert [r.cssselect("th")[0].text_content() for r in go.cssselect("table.startup tr")] == ["Go"]

    about = html(site, "about/index.html")  # content/pages/about.md
    assert about.cssselect("p.owner")[0].text_content() == "Owner: The platform team"
    assert "We compare Python, Rust and Go." in about.text_content()
    assert html(site, "legal/privacy/index.html").cssselect("h1")[0].text_content() == "Privacy"

    assert html(site, "languages/go/index.html").cssselect("h1")[0].text_content() == "Go"  # the collection
    assert [a.get("href") for a in html(site, "languages/go/index.html").cssselect("ul.notes a")] == ["/blog/go-notes/"]
    index = html(site, "languages/index.html")
    assert [li.text_content() for li in index.cssselect("ul.languages li")] == ["Go (2012)", "Python (1991)", "Rust (2015)"]
    assert index.cssselect("p")[0].text_content() == "3 languages compared."

    # pages: not in the lists, feed, categories or tags; in the sitemap
    listed = [a.get("href") for a in html(site, "index.html").cssselect("ul.notes a")]
    assert listed == ["/blog/python-vs-rust/", "/blog/go-notes/"]
    feed = (site / "output/feed.xml").read_text()
    assert "About these notes" not in feed and "Python vs Rust" in feed
    sitemap = (site / "output/sitemap.xml").read_text()
    for url in ("about/", "legal/privacy/", "languages/", "languages/go/", "blog/go-notes/"):
        assert f"<loc>https://langs.example/{url}</loc>" in sitemap
    assert "<loc>https://langs.example/languages/go/</loc><lastmod>2026-03-10</lastmod>" in sitemap


def _cases() -> dict[str, tuple[dict[str, str | None], list[str]]]:
    langs, note, go, about = text_of("data/languages.yaml"), text_of(NOTE), text_of(GO), text_of(ABOUT)
    csv = text_of("data/bench/startup.csv")
    cases = {}
    # point 2: schemas, the site's own, for data (YAML and CSV) and front matter; x-data-ref
    bad = langs.replace("typing: static\n  checked: 2026-03-01\ngo:", "typing: weak\n  checked: 2026-03-01\ngo:")
    cases["data against its schema"] = ({"data/languages.yaml": bad}, [
        f'data/languages.yaml:{line_of(bad, "typing: weak")}: rust.typing: must be one of "static", "dynamic", '
        '"gradual", got "weak"'])
    bad = csv.replace("rust,1,", "rust,fast,")
    cases["a CSV row against its schema"] = ({"data/bench/startup.csv": bad}, [
        'data/bench/startup.csv:3: 1.hello_ms: expected number, got string "fast"'])
    bad = note.replace("languages: [python, rust]", "languages: [python, cobol]")
    cases["an unknown key named by x-data-ref"] = ({NOTE: bad}, [
        f"{NOTE}:7: languages: unknown key 'cobol' of data.languages (data/languages.yaml has: python, rust, go)"])
    bad = note.replace("winner: rust", "winner: java")
    cases["a single x-data-ref field"] = ({NOTE: bad}, [
        f"{NOTE}:8: winner: unknown key 'java' of data.languages (data/languages.yaml has: python, rust, go)"])
    bad = about.replace("owner:", "colour: red\nowner:")
    cases["a field the page schema does not allow"] = ({ABOUT: bad}, [f"{ABOUT}:4: colour: unknown field"])
    cases["two data files with one name"] = ({"data/languages.json": "{}\n"}, [
        "data/languages.yaml:1: data.languages is already data/languages.json; rename one of them"])
    # point 3: components are templates, calls checked against the macro's signature
    def call(text: str) -> dict[str, str]:
        return {NOTE: note.replace('{{ callout("Measure on your own machine.", tone="warn") }}', text)}
    where = f"{NOTE}:{line_of(note, 'callout(')}"
    cases["an unknown component"] = (call('{{ shout("x") }}'), [
        f"{where}: unknown component 'shout' (templates/components/ has: {COMPONENTS})"])
    cases["a missing argument"] = (call("{{ released() }}"), [
        f"{where}: component released(): missing argument 'id' (the signature is released(id))"])
    cases["an unexpected argument"] = (call('{{ callout("x", colour="red") }}'), [
        f"{where}: component callout(): unexpected argument 'colour' (the signature is callout(text, tone=\"note\"))"])
    cases["too many arguments"] = (call('{{ released("go", "rust") }}'), [
        f"{where}: component released() takes at most 1 argument, got 2 (the signature is released(id))"])
    cases["fail() in a component"] = (call('{{ callout("x", tone="loud") }}'), [
        f"{where}: component callout(): tone must be note or warn, not loud"])
    cases["an undefined lookup in a component"] = (call('{{ released("cobol") }}'), [
        f"{where}: component released(): undefined: data.languages['cobol']"])
    cases["a component file without its macro"] = ({"templates/components/broken.html": "{% macro other() %}{% endmacro %}"}, [
        "templates/components/broken.html:1: defines no macro broken(): a component file defines "
        "{% macro broken(...) %}, the macro it is named after"])
    # point 5: layouts
    bad = go.replace("layout: compare", "layout: wide")
    cases["an unknown layout"] = ({GO: bad}, [
        f"{GO}:{line_of(bad, 'layout:')}: layout 'wide' is not a template: there is no templates/wide.html "
        f"(layouts: {LAYOUTS})"])
    # point 6: collections
    template = text_of("templates/language.html").replace("{{ item.name }}</h1>",
                                                            "{{ item.name }}{{ 1 // (item.first_release - 2015) }}</h1>")
    cases["a record its template cannot render"] = ({"templates/language.html": template}, [
        f"data/languages.yaml:{line_of(langs, 'rust:')}: languages 'rust' cannot be rendered by templates/language.html: "
        "template error: integer division or modulo by zero (templates/language.html:3)"])
    settings = text_of("data/site.yaml").replace('url: "languages/{id}/"', 'url: "languages/{slug}/"')
    cases["a collection url naming no field"] = ({"data/site.yaml": settings}, [
        f"data/languages.yaml:{line_of(langs, 'go:')}: collection languages url: '{{slug}}' names no field of "
        "this record (fields: checked, first_release, id, name, tagline, typing)"])
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", list(CASES))
def test_each_mistake_is_one_line_exit_1_and_output_untouched(tmp_path: Path, case: str) -> None:
    files, expected = CASES[case]
    site = copy_site(tmp_path)
    assert run_cli("--site", site).returncode == 0
    before = snapshot(site / "output")
    edit(site, files)
    result = run_cli("--site", site)
    count = len(expected)
    assert result.stderr.splitlines() == expected + [
        f"build failed: {count} problem{'s' if count != 1 else ''}; output left unchanged"], result.stderr
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert snapshot(site / "output") == before


def _clean(site: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "clean"
    shutil.rmtree(out, ignore_errors=True)
    build(site, out, cache=False, progress=False)
    return snapshot(out)


def test_a_data_edit_renders_exactly_the_pages_that_read_the_record(tmp_path: Path) -> None:
    site = copy_site(tmp_path)
    build(site, progress=False)
    langs = text_of("data/languages.yaml")
    edit(site, {"data/languages.yaml": langs.replace("name: Go\n", "name: Golang\n")})
    result = build(site, progress=False)
    readers = {"blog/go-notes/index.html", "blog/python-vs-rust/index.html", "about/index.html",
               "languages/go/index.html", "languages/index.html"}  # released("go"), the tables, lang_name("go")
    # the feed renders too (it works out every entry's body: the engine's feed context), its bytes the same
    assert set(result.written) == readers and result.rendered == len(readers) + 1
    assert snapshot(site / "output") == _clean(site, tmp_path)

    edit(site, {"data/bench/startup.csv": text_of("data/bench/startup.csv").replace("go,2,", "go,3,")})
    result = build(site, progress=False)  # a CSV is read whole: the pages with a start-up table
    assert set(result.written) == {"blog/go-notes/index.html", "blog/python-vs-rust/index.html"}
    assert snapshot(site / "output") == _clean(site, tmp_path)


def test_a_component_edit_renders_the_pages_that_call_it(tmp_path: Path) -> None:
    site = copy_site(tmp_path)
    build(site, progress=False)
    edit(site, {"templates/components/released.html": text_of("templates/components/released.html").replace(
        "{{ data.languages[id].first_release }}", "the year {{ data.languages[id].first_release }}")})
    result = build(site, progress=False)
    assert set(result.written) == {"blog/go-notes/index.html", "blog/python-vs-rust/index.html"}
    assert result.rendered == 2 + 1  # and the feed, which works out both bodies
    assert "Python appeared in the year 1991" in (site / "output/blog/python-vs-rust/index.html").read_text()
    assert snapshot(site / "output") == _clean(site, tmp_path)

    # a new component: the page that calls it builds once it exists
    edit(site, {ABOUT: text_of(ABOUT) + '\n{{ shout("hello") }}\n',
                "templates/components/shout.html": "{% macro shout(text) %}<p>{{ text | upper }}!</p>{% endmacro %}\n"})
    result = build(site, progress=False)
    assert "<p>HELLO!</p>" in (site / "output/about/index.html").read_text()
    assert snapshot(site / "output") == _clean(site, tmp_path)


def test_check_follows_links_into_pages_and_reports_unused_records(tmp_path: Path) -> None:
    note = text_of(NOTE) + "\nSee [about](/about/), [privacy](/legal/privacy/) and [nothing](/legal/nothing/).\n"
    langs = text_of("data/languages.yaml") + "cobol:\n  name: COBOL\n  tagline: Still running.\n" \
        "  first_release: 1959\n  typing: static\n  checked: 2026-03-01\n"
    site = copy_site(tmp_path, {NOTE: note, "data/languages.yaml": langs})
    result = run_cli("check", "--site", site)
    lines = result.stdout.splitlines()
    links = [line for line in lines if "link to" in line]
    assert links == [f"{NOTE}:{line_of(note, '[nothing]')}: error: link to /legal/nothing/ leads nowhere"], lines
    assert f"data/languages.yaml:{line_of(langs, 'cobol:')}: warning: languages 'cobol' is not used by any article " \
           "(no x-data-ref field or component call names it)" in lines
    assert result.returncode == 1


def test_the_readme_worked_example_builds_as_it_says(tmp_path: Path) -> None:
    """The README's worked example, taken from the README itself: a CSV with its schema, a component that reads it,
    its use in an article, and the error a bad cell gives."""
    import re

    from conftest import write_site

    readme = (REPO / "README.md").read_text("utf-8")
    example = readme[readme.index("### A worked example"):readme.index("### Templates (`templates/`)")]
    blocks = re.findall(r"```(\w*)\n(.*?)```", example, re.S)
    csv, schema, macro = (textwrap_dedent(body) for _kind, body in blocks[:3])
    site = write_site(tmp_path / "site", base="repo", files={
        "data/pay/by_city.csv": csv, "schemas/pay/by_city.schema.json": schema,
        "templates/components/city_pay.html": macro})
    article = site / "content/ai-engineer-vs-ml-engineer.md"
    call = re.search(r"\*\*Use it in an article:\*\* `(.*?)`", example).group(1)
    article.write_text(article.read_text("utf-8") + "\n" + call + "\n", "utf-8")
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    assert "In London an AI Engineer earns ~$150K." in (site / "output/blog/ai-engineer-vs-ml-engineer/index.html").read_text()
    error = " ".join(re.search(r"fails the build as `(.*?)`", example, re.S).group(1).split())
    (site / "data/pay/by_city.csv").write_text(csv.replace("150000", "lots"), "utf-8")
    result = run_cli("--site", site)
    assert result.stderr.splitlines()[0] == error


def textwrap_dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)
