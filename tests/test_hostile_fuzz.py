"""Never a traceback (issue 13, point 6): random and mutated front matter, Markdown and YAML thrown at the build.

Each example writes one article (or the roles data file) into a built fixture site and runs the command line in this
process. Whatever the input, the build exits 0, or exits 1 with one `path:line: message` line per problem and the
summary line, and then output/ is exactly as it was.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, snapshot, write_site

from sitegen import cli

LINE_RE = re.compile(r"^[^\s:][^:]*:\d+: \S.*$")
SUMMARY_RE = re.compile(r"^build failed: \d+ problems?; output left unchanged$")
GOOD = (FIXTURES / "minimal/content/alpha-vs-beta.md").read_text()
ROLES = (FIXTURES / "minimal/data/roles.yaml").read_text()

# pieces that mean something to YAML, Markdown, Jinja or a file system, and plain text around them
PIECES = ["---", "\n", "  ", "    ", "\t", "- ", "* ", "> ", "1. ", "#", "## ", "[", "]", "(", ")", "<", ">", "`", "```",
          "~~~", "{{", "}}", "{%", "%}", "{#", "#}", "&a ", "*a", "<<: ", ": ", "'", '"', "|", "!!", "!!! note", "\\",
          "..", "/", "%2f", "\u00e9", "\u4e2d", "\u200f", "\ud800", "\x00", "\x02", "\x7f", "\r", "9" * 30, "2026-13-01",
          "salary(", '"alpha-engineer"', "quick_answer()", "salary_table()", "[^1]", "![x](y)", "<div>", "&amp;",
          "title", "slug", "aliases", "tags", "roles", "draft", "true", "null", "[]", "{}"]
text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=60).map("".join)


def mutate(base: str, edits: list[tuple[int, int, str]]) -> str:
    for position, length, insert in edits:
        at = position % (len(base) + 1)
        base = base[:at] + insert + base[at + length % 8:]
    return base


edits = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 7), text), min_size=1, max_size=6)
FRONT_KEYS = ["title", "description", "date", "category", "tags", "roles", "slug", "aliases", "related", "draft",
              "quick_answer", "updated", "faq_schema", "cta", "author"]
front_matter = st.dictionaries(st.sampled_from(FRONT_KEYS), text, max_size=8).map(
    lambda d: "".join(f"{k}: {v}\n" for k, v in d.items()))

inputs = st.one_of(
    st.tuples(st.just("content/alpha-vs-beta.md"), edits.map(lambda e: mutate(GOOD, e))),
    st.tuples(st.just("content/fuzz.md"), st.tuples(front_matter, text).map(lambda p: f"---\n{p[0]}---\n{p[1]}")),
    st.tuples(st.just("content/fuzz.md"), text),
    st.tuples(st.just("data/roles.yaml"), edits.map(lambda e: mutate(ROLES, e))),
    st.tuples(st.just("data/roles.yaml"), text),
)


@pytest.fixture(scope="module")
def built_site():
    root = Path(tempfile.mkdtemp(prefix="sitegen-fuzz-"))
    site = write_site(root / "site")
    assert cli.main(["build", "--site", str(site), "--jobs", "1", "-q"]) == 0
    yield site, snapshot(site / "output")
    shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=inputs)
def test_any_input_ends_in_a_status_and_one_line_per_problem(built_site, capsys, case) -> None:
    site, before = built_site
    rel, content = case
    original = (site / rel).read_bytes() if (site / rel).exists() else None
    try:
        (site / rel).write_bytes(content.encode("utf-8", "surrogatepass"))
        capsys.readouterr()
        status = cli.main(["build", "--site", str(site), "--jobs", "1", "-q"])
        err = capsys.readouterr().err.splitlines()
        assert "Traceback" not in "\n".join(err)
        if status == 0:
            assert err == [], err
        else:
            assert status == 1, (status, err)
            assert err and SUMMARY_RE.match(err[-1]), err
            assert all(LINE_RE.match(line) for line in err[:-1]), err
            assert int(err[-1].split()[2]) == len(err) - 1
            assert snapshot(site / "output") == before
    finally:
        if original is None:
            (site / rel).unlink(missing_ok=True)
        else:
            (site / rel).write_bytes(original)
    if status == 0:  # the next example starts from the good site again
        assert cli.main(["build", "--site", str(site), "--jobs", "1", "-q"]) == 0
        capsys.readouterr()
