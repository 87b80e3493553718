"""Hostile input (issue 13): no source file can write outside the output, exhaust the machine, or crash the build.

Every case runs the real command line and asserts the exact message, the exit status, that output/ is as it was and,
for paths, that nothing outside the output folder changed (the whole tree around the site is walked before and
after). Memory is bounded by running the build under an address-space limit (a build that expanded an alias bomb
would die of MemoryError with a traceback instead of printing one line).
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli, snapshot, write_site

ARTICLE = "content/alpha-vs-beta.md"
GOOD = (Path(__file__).parent / "fixtures/minimal" / ARTICLE).read_text()
ROLES = (Path(__file__).parent / "fixtures/minimal/data/roles.yaml").read_text()
LINE_RE = re.compile(r"^[^\s:][^:]*:\d+: \S.*$")
MEMORY_LIMIT = 1024 * 1024 * 1024  # 1 GiB of address space: a build of the fixture site needs a fraction of it


def front(extra: str = "", body: str = "Body text.\n") -> str:
    return f"---\ntitle: Hostile\ndescription: An article written to attack the build.\ndate: 2026-06-01\ncategory: Hiring\n{extra}---\n\n{body}"


def tree(root: Path, *skip: Path) -> dict[str, tuple]:
    """Every file, folder and link under `root` except those under `skip`, with what could change about it."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(folder) / d not in skip]
        for name in dirs + files:
            path = Path(folder) / name
            st = path.lstat()
            if path.is_dir() and not path.is_symlink():  # a folder: its entries are listed on their own
                found[str(path.relative_to(root))] = (st.st_mode,)
                continue
            data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
            found[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns, data)
    return found


def limited_build(site: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI under a 1 GiB address-space limit (bounded memory) and a generous deadline (never minutes)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, "SOURCE_DATE_EPOCH": "1798675200"}
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site), "--jobs", "1", *args],
                          capture_output=True, text=True, env=env, timeout=120, preexec_fn=limit)


def assert_refused(result: subprocess.CompletedProcess, expected: list[str]) -> None:
    lines = result.stderr.splitlines()
    assert lines[:-1] == expected, result.stderr
    assert lines[-1] == f"build failed: {len(expected)} problem{'s' if len(expected) > 1 else ''}; output left unchanged"
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


@pytest.fixture
def good_site(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A fixture site built once, deep inside tmp_path, so that '../' escapes land in folders the test walks."""
    site = write_site(tmp_path / "a" / "b" / "c" / "d" / "site")
    first = run_cli("--site", site, "-q")
    assert first.returncode == 0, first.stderr
    return site, snapshot(site / "output")


# -- 1. one choke point for every output path ---------------------------------------------------------------------
ESCAPES = ["../../../../../escaped/", "../../../../../escaped.html", "/ESCAPED-ABS/", "a/../../../../../../escaped/",
           "..\\..\\..\\escaped\\", "%2e%2e/%2e%2e/escaped/", "a%2fb/", "a%5cb/", ".hidden/", "./x/", "a//b/",
           "~/escaped/", "x" * 300 + "/", "C:\\escaped\\"]


def _yaml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


FIELDS = {
    "slug": lambda v: {"content/hostile.md": front(f"slug: {_yaml(v)}\n")},
    "aliases": lambda v: {"content/hostile.md": front(f"aliases: [{_yaml(v)}]\n")},
    "category": lambda v: {"content/hostile.md": front().replace("category: Hiring", f"category: {_yaml(v)}")},
    "tags": lambda v: {"content/hostile.md": front(f"tags: [{_yaml(v)}]\n")},
    "role id": lambda v: {"data/roles.yaml": ROLES.replace("\nbeta-engineer:", f"\n{_yaml(v)}:")},
    "related": lambda v: {"content/hostile.md": front(f"related: [{_yaml(v)}]\n")},
}


@pytest.mark.parametrize("field", list(FIELDS))
def test_no_path_bearing_field_writes_outside_the_output(tmp_path: Path, good_site, field: str) -> None:
    site, before = good_site
    out = site / "output"
    for value in ESCAPES:
        value = value.replace("/ESCAPED-ABS/", f"{tmp_path}/escaped-abs/")
        write_site(site, FIELDS[field](value), base=None, theme=False)
        around = tree(tmp_path, out, site / ".sitegen-cache")
        result = run_cli("--site", site, "-q")
        assert tree(tmp_path, out, site / ".sitegen-cache") == around, (field, value)
        assert not [p for p in tmp_path.rglob("escaped*") if out not in p.parents], (field, value)
        assert "Traceback" not in result.stderr, (field, value, result.stderr)
        if result.returncode == 0:  # slugified (category, tags), or an alias that is a path of the site: inside
            assert field in ("category", "tags", "aliases"), (field, value)
            assert list(out.rglob("escaped*")) or field != "aliases", value
        else:
            assert result.returncode == 1
            assert all(LINE_RE.match(line) for line in result.stderr.splitlines()[:-1]), result.stderr
            assert snapshot(out) == before, (field, value)
        write_site(site, {"content/hostile.md": None} if field != "role id" else {"data/roles.yaml": ROLES},
                   base=None, theme=False)
        assert run_cli("--site", site, "-q").returncode == 0
        before = snapshot(out)


def test_alias_outside_the_site_is_refused_with_the_field(good_site) -> None:
    site, before = good_site
    write_site(site, {"content/hostile.md": front('aliases: ["../../../../x/"]\n')}, base=None, theme=False)
    result = run_cli("--site", site)
    assert_refused(result, ['content/hostile.md:6: aliases.0: "../../../../x/" does not match a site path such as '
                            "/old/url/ or /old.html (letters, digits, '-', '_', '~' and dots inside names; no '..' "
                            "and no name starting with a dot)"])
    assert snapshot(site / "output") == before


def test_alias_onto_another_file_is_refused(good_site) -> None:
    site, before = good_site
    write_site(site, {"content/hostile.md": front('aliases: ["/feed.xml"]\n')}, base=None, theme=False)
    result = run_cli("--site", site)
    assert_refused(result, ["content/hostile.md:6: aliases: '/feed.xml' would be written to 'feed.xml', which another "
                            "page (feed.xml) is already written to"])
    assert snapshot(site / "output") == before


def test_the_writer_refuses_what_the_plan_let_through() -> None:
    from sitegen.outpaths import UnsafeOutput, safe_join, unsafe_reason

    for rel in ("../x", "/etc/x", "a/../../x", "a\\b", "a%2Fb", "%2e%2e/x", "x\0y", "C:/x", ".sitegen-output", "a//b",
                "./x", "a/.git/config", "x" * 256, "a\nb"):
        assert unsafe_reason(rel) is not None, rel
        with pytest.raises(UnsafeOutput):
            safe_join("/tmp/out", rel)
    for rel in ("index.html", "blog/x/index.html", "static/css/site.1a2b.css", "old.html", "tag/c-/index.html"):
        assert unsafe_reason(rel) is None, rel
    assert unsafe_reason(".nojekyll", own=True) is None and unsafe_reason(".nojekyll") is not None


def test_static_file_with_an_unpublishable_name(good_site) -> None:
    site, before = good_site
    (site / "static" / "a\\b.css").write_text("body{}")
    result = run_cli("--site", site)
    assert_refused(result, ["static/a\\b.css:1: this file cannot be published under its name: it contains a backslash"])
    assert snapshot(site / "output") == before


# -- 2. bounded YAML -------------------------------------------------------------------------------------------------
def bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_in_front_matter(good_site) -> None:
    site, before = good_site
    write_site(site, {"content/hostile.md": front(bomb())}, base=None, theme=False)
    result = limited_build(site)
    assert_refused(result, ["content/hostile.md:10: YAML aliases expand to more than 10,000 values (an alias bomb?); "
                            "write the values out or use fewer aliases"])
    assert snapshot(site / "output") == before


def test_alias_bomb_in_a_data_file(good_site) -> None:
    site, before = good_site
    write_site(site, {"data/roles.yaml": ROLES + "bomb:\n" + "".join("  " + line + "\n" for line in bomb().splitlines())},
               base=None, theme=False)
    result = limited_build(site)
    assert_refused(result, [f"data/roles.yaml:{ROLES.count(chr(10)) + 6}: YAML aliases expand to more than 10,000 "
                            "values (an alias bomb?); write the values out or use fewer aliases"])
    assert snapshot(site / "output") == before


@pytest.mark.parametrize("text, expected", [
    ("a: &a [*a]\n", "6: YAML alias '*a' is used inside its own anchor '&a' (a value that contains itself)"),
    ("a: " + "[" * 600 + "]" * 600 + "\n", "6: YAML nested deeper than 64 levels; flatten it"),
    ("a: " + "9" * 5000 + "\n", "6: invalid number '9999999999999999999999999999999999999...': 5,000 digits "
                                "(at most 4,300); put it in quotes if it is text"),
    ('author: "\\ud800"\n', "6: invalid YAML: found invalid Unicode character escape code while parsing a quoted scalar"),
])
def test_hostile_yaml_in_front_matter(good_site, text: str, expected: str) -> None:
    site, before = good_site
    write_site(site, {"content/hostile.md": front(text)}, base=None, theme=False)
    result = limited_build(site)
    assert_refused(result, [f"content/hostile.md:{expected}"])
    assert snapshot(site / "output") == before


def test_data_file_beyond_the_size_limit(good_site) -> None:
    site, before = good_site
    write_site(site, {"data/roles.yaml": ROLES + "#" * (16 * 1024 * 1024)}, base=None, theme=False)
    result = limited_build(site)
    assert_refused(result, ["data/roles.yaml:1: file is larger than 16 MB, the most a source file may be"])
    assert snapshot(site / "output") == before


def test_article_beyond_the_size_limit(good_site) -> None:
    site, before = good_site
    write_site(site, {"content/hostile.md": front(body="word " * (1024 * 1024))}, base=None, theme=False)
    result = limited_build(site)
    assert_refused(result, ["content/hostile.md:1: file is larger than 4 MB, the most a source file may be"])
    assert snapshot(site / "output") == before


# -- 3. bounded Markdown ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, expected", [
    ("\n".join(" " * (4 * i) + "- item" for i in range(600)), "40: lists and quotes nested 33 levels deep (at most 32); "
                                                               "flatten them"),
    ("- " * 600 + "deep", "8: lists and quotes nested 600 levels deep (at most 32); flatten them"),
    ("\n".join("> " * i + "quote" for i in range(1, 600)), "40: lists and quotes nested 33 levels deep (at most 32); "
                                                           "flatten them"),
    ("[" * 20000, "8: too many '[' and '<' to convert in reasonable time (20,000 in the paragraph that starts here); "
                  "split the text into smaller paragraphs or remove stray brackets"),
    ("![a](b " * 20000, "8: too many '[' and '<' to convert in reasonable time (20,000 in the paragraph that starts "
                        "here); split the text into smaller paragraphs or remove stray brackets"),
    ("Text \x02wzxhzdk:99\x03 here", "8: control character U+0002 in the text; remove it (only tabs and line breaks "
                                     "are allowed)"),
    ("{{ " + "a(" * 400 + " }}", "8: component call with more than 16 brackets; arguments are plain values"),
])
def test_hostile_markdown(good_site, body: str, expected: str) -> None:
    site, before = good_site
    write_site(site, {"content/hostile.md": front(body=body)}, base=None, theme=False)
    result = limited_build(site)
    assert_refused(result, [f"content/hostile.md:{expected}"])
    assert snapshot(site / "output") == before


def test_many_braces_are_read_in_linear_time(good_site) -> None:
    site, _before = good_site
    write_site(site, {"content/hostile.md": front(body="{{" * 50000 + "\n\n" + "{{ a( " * 20000 + "}}")}, base=None, theme=False)
    result = limited_build(site)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == "content/hostile.md:10: cannot read component {{ a( }}: unexpected '}', " \
                                            "expected ')'"


# -- 4. literal code --------------------------------------------------------------------------------------------------
LITERAL = """Write `{{ site.title }}` or ``{{ x }} ` y`` to show a value, `{% if %}` to branch and `{# note #}` to comment.

```jinja
{% for role in roles %}{{ role.title }}{% endfor %}
{# a comment #} {{ unknown_name }} {{ broken( }}
```

- A list item with code:

    ```
    {{ salary_table("nobody") }} {% endif %}
    ```

Indented code:

    {{ not_a_component(1, 2) }} {% raw %}

The end, with {{ salary("alpha-engineer") }} outside code.
"""


def test_template_syntax_inside_code_is_shown_as_written(good_site) -> None:
    site, _before = good_site
    write_site(site, {"content/hostile.md": front(body=LITERAL)}, base=None, theme=False)
    result = run_cli("--site", site, "-q")
    assert result.returncode == 0, result.stderr
    page = (site / "output" / "blog" / "hostile" / "index.html").read_text()
    assert "<code>{{ site.title }}</code>" in page
    assert "<code>{{ x }} ` y</code>" in page
    assert "<code>{% if %}</code>" in page and "<code>{# note #}</code>" in page
    text = re.sub(r"<[^>]+>", "", page).replace("&quot;", '"').replace("&#34;", '"')
    assert "{% for role in roles %}{{ role.title }}{% endfor %}" in text
    assert "{# a comment #} {{ unknown_name }} {{ broken( }}" in text
    assert '{{ salary_table("nobody") }} {% endif %}' in text
    assert "{{ not_a_component(1, 2) }} {% raw %}" in text
    assert "The end, with ~$205K outside code." in text


def test_only_calls_outside_code_are_errors(good_site) -> None:
    site, before = good_site
    write_site(site, {"content/hostile.md": front(body=LITERAL + "\nAnd {{ nope() }} here.\n")}, base=None, theme=False)
    result = run_cli("--site", site)
    assert_refused(result, ["content/hostile.md:27: unknown component 'nope' (templates/components/ has: cta, picture, postings, quick_answer, "
                            "responsibilities, role, salary, salary_chart, salary_gap, salary_table, skills)"])
    assert snapshot(site / "output") == before


# -- 5. symbolic links -------------------------------------------------------------------------------------------------
def test_links_out_of_the_site_are_refused(tmp_path: Path, good_site) -> None:
    site, before = good_site
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwords.md").write_text(front(body="hunter2\n"))
    (secret / "style.css").write_text("body{}")
    (site / "content" / "leak.md").symlink_to(secret / "passwords.md")
    (site / "static" / "outside").symlink_to(secret)
    (site / "templates" / "partials" / "leak.html").symlink_to(secret / "style.css")
    (site / "data" / "extra.yaml").symlink_to(secret / "style.css")
    result = run_cli("--site", site)
    assert_refused(result, [
        f"content/leak.md:1: symbolic link leads outside the site (to {secret}/passwords.md); copy what it points to "
        "into the site instead",
        f"data/extra.yaml:1: symbolic link leads outside the site (to {secret}/style.css); copy what it points to into "
        "the site instead",
        f"static/outside:1: symbolic link leads outside the site (to {secret}); copy what it points to into the site "
        "instead",
        f"templates/partials/leak.html:1: symbolic link leads outside the site (to {secret}/style.css); copy what it "
        "points to into the site instead",
    ])
    assert snapshot(site / "output") == before
    check = run_cli("check", "--site", site)
    assert check.returncode == 1 and "content/leak.md:1: symbolic link leads outside the site" in check.stderr


def test_links_inside_the_site_work(good_site) -> None:
    site, _before = good_site
    (site / "drafts").mkdir()
    (site / "drafts" / "linked.md").write_text(front(body="Linked from inside the site.\n").replace(
        "title: Hostile", "title: Linked article"))
    (site / "content" / "linked.md").symlink_to(site / "drafts" / "linked.md")
    (site / "static" / "shared").symlink_to(site / "static" / "css")
    result = run_cli("--site", site, "-q")
    assert result.returncode == 0, result.stderr
    assert "Linked from inside the site." in (site / "output" / "blog" / "linked" / "index.html").read_text()
    assert list((site / "output" / "static" / "shared").glob("site.*.css"))


# -- 6. never a traceback -----------------------------------------------------------------------------------------------
def test_unexpected_exception_is_reported_against_the_file(good_site, monkeypatch, capsys) -> None:
    from sitegen import cli
    from sitegen.markdown_ext import Converter

    site, before = good_site

    def broken(self, path, *args):
        if path == "content/hostile.md":
            raise ZeroDivisionError("division by zero")
        return original(self, path, *args)

    original = Converter.convert
    monkeypatch.setattr(Converter, "convert", broken)
    write_site(site, {"content/hostile.md": front(body="Different text.\n")}, base=None, theme=False)
    status = cli.main(["build", "--site", str(site), "--jobs", "1", "-q"])
    err = capsys.readouterr().err.splitlines()
    assert status == 1
    assert err == ["content/hostile.md:1: internal error: ZeroDivisionError: division by zero (a bug in sitegen, not in "
                   "this file; please report it with the file attached)",
                   "build failed: 1 problem; output left unchanged"]
    assert snapshot(site / "output") == before
