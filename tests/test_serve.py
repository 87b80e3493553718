"""`python build.py serve` (issue 4), without a browser.

- The incremental preview build (pipeline.Session with in_place=True, the fast path in sitegen/decide.py and
  the full path) is byte-identical to a clean full build after 30 seeded random edits of every kind, in-process.
- Safety against a running server: traversal (raw, encoded, double encoded, backslashes), symlinks out of the
  preview folder and dotfiles get 403/404 and never a file from outside; malformed requests never stop it; the
  reload WebSocket refuses foreign origins.
- Reload messages: an HTML edit pushes a full reload, a CSS-only edit a live stylesheet swap.
- Debounce: a burst of 50 files is one build and one reload; saves during a build cause exactly one more build.
- Ports, --bind's warning, Ctrl-C.

Every server listens on 127.0.0.1 only and is stopped by the test that started it. Nothing here sleeps: the server
runs with SITEGEN_PREVIEW_TRACE=1 and the tests wait for its events (a build started or done, a page connected, a
message received, a line printed) with generous deadlines; ServeProcess.sync() is the barrier after an edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import html
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO, snapshot, write_site

from sitegen import serve as serve_module
from sitegen.options import Options
from sitegen.errors import BuildError
from sitegen.pipeline import Session, build
from sitegen.write import MARKER

HOST = "127.0.0.1"
OPTIONS = Options(drafts=True, future=True, today=dt.date(2026, 12, 31), base_url="http://127.0.0.1:9/",
                  fingerprint=False)


# --- 1. incremental preview output == clean full build ---------------------------------------------------------------

def _clean_build(site: Path, out: Path) -> dict[str, bytes]:
    if out.exists():
        shutil.rmtree(out)
    build(site, out, OPTIONS, cache=False, jobs=1, progress=False)
    try:
        return snapshot(out)
    finally:
        shutil.rmtree(out)


def _without_index(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if not name.startswith("pagefind/")}


def _assert_same_as_clean(site: Path, preview: Path, scratch: Path, when: str) -> None:
    """Every file of the preview folder (dotfiles included) against a clean full build of the same sources. The
    search index (pagefind/) is left out: the preview renews it in a thread of its own after each build, so it may
    still be the previous one here (tests/test_search.py waits for it and searches it)."""
    served, clean = _without_index(snapshot(preview)), _without_index(_clean_build(site, scratch))
    assert MARKER in served and ".nojekyll" in served, f"{when}: marker files missing from the preview"
    only_preview = sorted(set(served) - set(clean))
    only_clean = sorted(set(clean) - set(served))
    differ = sorted(k for k in set(served) & set(clean) if served[k] != clean[k])
    assert not (only_preview or only_clean or differ), (
        f"{when}: preview differs from a clean build: only in preview {only_preview}, only in clean build "
        f"{only_clean}, different bytes {differ}")
    leftovers = [p for p in preview.rglob("*") if ".sitegen-tmp" in p.name]
    assert not leftovers, f"{when}: temporary files left in the preview: {leftovers}"


def _set_field(path: Path, key: str, line: str) -> None:
    """Replace the front-matter line `key: ...` of an article (or add it before the closing ---)."""
    text = path.read_text("utf-8")
    front_end = text.index("\n---", 3)
    front, rest = text[:front_end], text[front_end:]
    pattern = re.compile(rf"^{re.escape(key)}:.*$", re.M)
    front = pattern.sub(line, front, count=1) if pattern.search(front) else front + "\n" + line
    path.write_text(front + rest, "utf-8")


def _replace(path: Path, pattern: str, repl: str, count: int = 1) -> None:
    text = path.read_text("utf-8")
    new, n = re.subn(pattern, repl, text, count=count, flags=re.M)
    assert n, f"{pattern!r} not found in {path}"
    path.write_text(new, "utf-8")


def _article_text(n: int, rng: random.Random) -> str:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    roles = rng.choice(["[alpha-engineer]", "[beta-engineer]", "[alpha-engineer, beta-engineer]", "[]"])
    return (f"---\ntitle: \"Added article {n}\"\ndescription: Added by edit {n}.\ndate: 2026-{month:02d}-{day:02d}\n"
            f"category: {rng.choice(['Hiring', 'Salary Data', 'New Category'])}\ntags: [Added, T{n % 3}]\n"
            f"roles: {roles}\n---\n\n## Added section {n}\n\nBeta earns {{{{ salary(\"beta-engineer\") }}}}.\n")


class RandomEditor:
    """Seeded edits of every kind to a copy of the blog fixture; each returns the absolute paths it touched."""

    PROTECTED = {"content/post-1.md"}  # post-3 names it in related: deleting or renaming it is an error

    def __init__(self, site: Path, seed: int):
        self.site = site
        self.rng = random.Random(seed)
        self.n = 0
        self.broken = 0

    def articles(self, deletable: bool = False) -> list[str]:
        found = sorted(p.relative_to(self.site).as_posix() for p in (self.site / "content").glob("*.md"))
        return [a for a in found if a not in self.PROTECTED] if deletable else found

    def pick(self, deletable: bool = False) -> Path:
        return self.site / self.rng.choice(self.articles(deletable))

    # each edit: (paths touched, a description for failure messages)
    def body(self) -> tuple[set[Path], str]:
        path = self.pick()
        words = " ".join(["word"] * self.rng.choice([3, 300]))  # sometimes enough to change the reading time
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\nEdit {self.n}: {words}.\n")
        return {path}, f"body of {path.name}"

    def body_component(self) -> tuple[set[Path], str]:
        path = self.pick()
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\nEdit {self.n}: alpha pays {{{{ salary(\"alpha-engineer\") }}}}.\n")
        return {path}, f"component in {path.name}"

    def title(self) -> tuple[set[Path], str]:
        path = self.pick()
        _set_field(path, "title", f'title: "Edited title {self.n} & <more>"')
        return {path}, f"title of {path.name}"

    def description(self) -> tuple[set[Path], str]:
        path = self.pick()
        _set_field(path, "description", f"description: Edited description {self.n}.")
        return {path}, f"description of {path.name}"

    def date(self) -> tuple[set[Path], str]:
        path = self.pick()
        _set_field(path, "date", f"date: 2026-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}")
        return {path}, f"date of {path.name}"

    def tags(self) -> tuple[set[Path], str]:
        path = self.pick()
        _set_field(path, "tags", f"tags: [{self.rng.choice(['Alpha', 'Pay', 'Fresh'])}, Tag {self.n % 4}]")
        return {path}, f"tags of {path.name}"

    def roles(self) -> tuple[set[Path], str]:
        path = self.pick()
        roles = self.rng.choice(["[alpha-engineer]", "[beta-engineer]", "[beta-engineer, alpha-engineer]", "[]"])
        _set_field(path, "roles", f"roles: {roles}")
        return {path}, f"roles of {path.name}"

    def add(self) -> tuple[set[Path], str]:
        path = self.site / "content" / f"added-{self.n}.md"
        path.write_text(_article_text(self.n, self.rng), "utf-8")
        return {path}, f"new {path.name}"

    def delete(self) -> tuple[set[Path], str]:
        path = self.pick(deletable=True)
        path.unlink()
        return {path}, f"deleted {path.name}"

    def rename(self) -> tuple[set[Path], str]:
        path = self.pick(deletable=True)
        target = path.with_name(f"renamed-{self.n}.md")
        path.rename(target)
        return {path, target}, f"renamed {path.name} to {target.name}"

    def base_template(self) -> tuple[set[Path], str]:
        path = self.site / "templates/base.html"
        _replace(path, r"^</body>", f"<!-- edit {self.n} -->\n</body>")
        return {path}, "templates/base.html"

    def partial(self) -> tuple[set[Path], str]:
        name = self.rng.choice(["article_card.html", "salary_table.html"])
        path = self.site / "templates/partials" / name
        _replace(path, r"^<", f"<!-- edit {self.n} -->\n<")
        return {path}, f"templates/partials/{name}"

    def include(self) -> tuple[set[Path], str]:
        partial = self.site / "templates/partials" / f"new-{self.n}.html"
        partial.write_text(f"<!-- new partial {self.n} -->\n", "utf-8")
        base = self.site / "templates/base.html"
        _replace(base, r"^</footer>", f"</footer>\n{{% include \"partials/{partial.name}\" %}}")
        return {partial, base}, f"new templates/partials/{partial.name} included from base.html"

    def salary(self) -> tuple[set[Path], str]:
        path = self.site / "data/roles.yaml"
        occurrence = self.rng.choice([1, 2])
        text = path.read_text("utf-8")
        matches = list(re.finditer(r"median_base: \d+", text))
        m = matches[occurrence - 1]
        text = text[: m.start()] + f"median_base: {self.rng.randrange(150, 300) * 1000}" + text[m.end():]
        path.write_text(text, "utf-8")
        return {path}, "a salary in data/roles.yaml"

    def role_summary(self) -> tuple[set[Path], str]:
        path = self.site / "data/roles.yaml"
        _replace(path, r"^  summary: .*$", f"  summary: Edited summary {self.n} <i>&</i>.")
        return {path}, "a role summary in data/roles.yaml"

    def role_title(self) -> tuple[set[Path], str]:
        path = self.site / "data/roles.yaml"
        if self.rng.random() < 0.5:
            _replace(path, r"^  title: Beta Engineer.*$", f"  title: Beta Engineer {self.n}")
        else:
            _replace(path, r"^  as_of: .*$", f"  as_of: 2026-{self.rng.randint(1, 12):02d}-05")
        return {path}, "a role's title or as_of in data/roles.yaml"

    def site_title(self) -> tuple[set[Path], str]:
        path = self.site / "data/site.yaml"
        _replace(path, r"^title: .*$", f"title: Fixture Blog {self.n}")
        return {path}, "title in data/site.yaml"

    def page_size(self) -> tuple[set[Path], str]:
        path = self.site / "data/site.yaml"
        _replace(path, r"^page_size: .*$", f"page_size: {self.rng.randint(1, 4)}")
        return {path}, "page_size in data/site.yaml"

    def css(self) -> tuple[set[Path], str]:
        path = self.site / "static/css/site.css"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f".edit-{self.n} {{ color: #{self.n:06x}; }}\n")
        return {path}, "static/css/site.css"

    def static_file(self) -> tuple[set[Path], str]:
        path = self.site / "static" / "extra" / f"file-{self.n}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"static {self.n}\n", "utf-8")
        return {path}, f"static/extra/{path.name}"

    def delete_static(self) -> tuple[set[Path], str]:
        extra = sorted((self.site / "static").rglob("*.txt"))
        path = extra[0] if extra else self.site / "static/css/site.css"
        if not extra:
            path.write_text(path.read_text("utf-8") + "/* kept */\n", "utf-8")
        else:
            path.unlink()
        return {path}, f"deleted {path.relative_to(self.site)}"

    def data_file(self) -> tuple[set[Path], str]:
        """A data file of its own (new, then edited), read by a component of its own that an article calls."""
        path = self.site / "data/extra/facts.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"note: Fact {self.n}\ncount: {self.n}\n", "utf-8")
        component = self.site / "templates/components/fact.html"
        component.write_text("{% macro fact() %}{{ data.extra.facts.note }} ({{ data.extra.facts.count }})"
                             "{% endmacro %}\n", "utf-8")
        post = self.site / "content/post-1.md"
        if "{{ fact() }}" not in post.read_text("utf-8"):
            with post.open("a", encoding="utf-8") as fh:
                fh.write("\nA fact: {{ fact() }}.\n")
        return {path, component, post}, "data/extra/facts.yaml read by templates/components/fact.html"

    def schema(self) -> tuple[set[Path], str]:
        """The site's own schema: a field's description (no output changes), or quick_answer as plain text."""
        path = self.site / "schemas/article.schema.json"
        text = path.read_text("utf-8")
        if self.rng.random() < 0.5:
            path.write_text(text.replace('"Show the call to action at the end', f'"Edit {self.n}: show the call to action at the end', 1), "utf-8")
        else:
            path.write_text(text.replace('"x-markdown": true', '"x-markdown": false') if '"x-markdown": true' in text
                            else text.replace('"x-markdown": false', '"x-markdown": true'), "utf-8")
        return {path}, "schemas/article.schema.json"

    def component(self) -> tuple[set[Path], str]:
        name = self.rng.choice(["salary.html", "role.html"])
        path = self.site / "templates/components" / name
        _replace(path, r"^\{% endmacro", f"~{self.n}\n{{% endmacro")
        return {path}, f"templates/components/{name}"

    def page(self) -> tuple[set[Path], str]:
        path = self.site / "content/pages/about.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"---\ntitle: About {self.n}\ndescription: The page, edit {self.n}.\n---\n\n"
                        f"Alpha pays {{{{ salary(\"alpha-engineer\") }}}} ({self.n}).\n", "utf-8")
        return {path}, "content/pages/about.md"

    def layout(self) -> tuple[set[Path], str]:
        layout = self.site / "templates/wide.html"
        text = (self.site / "templates/article.html").read_text("utf-8")
        layout.write_text(text.replace('<article class="article">', f'<article class="article wide-{self.n}">', 1), "utf-8")
        path = self.pick()
        _set_field(path, "layout", "layout: wide")
        return {layout, path}, f"templates/wide.html as the layout of {path.name}"

    def draft(self) -> tuple[set[Path], str]:
        path = self.pick()
        _set_field(path, "draft", f"draft: {self.rng.choice(['true', 'false'])}")
        return {path}, f"draft flag of {path.name}"

    KINDS = ("body", "body_component", "title", "description", "date", "tags", "roles", "add", "delete", "rename",
             "base_template", "partial", "include", "salary", "role_summary", "role_title", "site_title", "page_size",
             "css", "static_file", "delete_static", "draft", "data_file", "schema", "component", "page", "layout",
             "broken")

    # breaking edits: (path, broken text); the original is written back afterwards
    BREAKAGES = ("front matter", "roles yaml", "unknown role", "template")

    def breakage(self) -> tuple[Path, str, str]:
        kind = self.BREAKAGES[self.broken % len(self.BREAKAGES)]
        self.broken += 1
        if kind == "front matter":
            path = self.pick()
            return path, path.read_text("utf-8").replace("title:", "title: [unclosed", 1), kind
        if kind == "unknown role":
            path = self.pick()
            return path, path.read_text("utf-8") + '\n{{ salary("no-such-role") }}\n', kind
        if kind == "roles yaml":
            path = self.site / "data/roles.yaml"
            return path, path.read_text("utf-8").replace("\nbeta-engineer:", "\nbeta-engineer: [", 1), kind
        path = self.site / "templates/partials/article_card.html"
        return path, path.read_text("utf-8") + "{% if %}\n", kind


def test_thirty_random_edits_match_a_clean_build(tmp_path: Path) -> None:
    random_edits(tmp_path, seed=20260404, count=34)  # every kind once, every breakage, and a few more


def random_edits(tmp_path: Path, seed: int, count: int) -> None:
    site = write_site(tmp_path / "site", base="blog")
    preview = tmp_path / "preview"
    editor = RandomEditor(site, seed)
    # every kind at least once (every breakage too), then random ones, in a seeded order
    kinds = list(RandomEditor.KINDS) + ["broken"] * (len(RandomEditor.BREAKAGES) - 1)
    kinds += [editor.rng.choice(RandomEditor.KINDS) for _ in range(count - len(kinds))]
    editor.rng.shuffle(kinds)
    session = Session(site, preview, OPTIONS, in_place=True, progress=False, jobs=1)
    done: list[str] = []
    quick = full = 0
    try:
        session.build(None)
        _assert_same_as_clean(site, preview, tmp_path / "clean", "first build")
        for step, kind in enumerate(kinds, 1):
            editor.n = step
            if kind == "broken":
                path, broken, what = editor.breakage()
                good = path.read_text("utf-8")
                path.write_text(broken, "utf-8")
                before = snapshot(preview)
                with pytest.raises(BuildError):
                    session.build({str(path)})
                assert snapshot(preview) == before, f"step {step}: a failed build ({what}) changed the preview"
                path.write_text(good, "utf-8")
                touched, description = {path}, f"broke ({what}) and repaired {path.relative_to(site)}"
            else:
                touched, description = getattr(editor, kind)()
            done.append(f"{step}: {description}")
            result = session.build({str(p) for p in touched})
            if "quick" in result.stages:
                quick += 1
            else:
                full += 1
            if step % 10 == 0 or kind == "broken":
                _assert_same_as_clean(site, preview, tmp_path / "clean", "after edits\n  " + "\n  ".join(done))
        _assert_same_as_clean(site, preview, tmp_path / "clean", "after edits\n  " + "\n  ".join(done))
    finally:
        session.close()
    assert editor.broken >= len(RandomEditor.BREAKAGES)
    assert quick >= 3 and full >= 3, f"both build paths must be exercised: {quick} quick, {full} full"


def test_role_facts_reach_the_role_page_on_the_fast_path(tmp_path: Path) -> None:
    """A role page holds its role (it is not looked up while rendering): a salary edit must still re-render it on
    the fast path, and an edit of what the plan itself reads (the summary is the page's description, the title
    orders the pages, the date is their lastmod) takes the full path: decide.by_changes compares the new plan."""
    site = write_site(tmp_path / "site", base="blog")
    preview = tmp_path / "preview"
    roles = site / "data/roles.yaml"
    session = Session(site, preview, OPTIONS, in_place=True, progress=False, jobs=1)
    try:
        session.build(None)
        for old, new, path in (("median_base: 205000", "median_base: 187000", "quick"),
                               ("summary: Builds alpha systems.", "summary: Builds <em>alpha</em> systems.", "full"),
                               ("title: Alpha Engineer", "title: Zeta Engineer", "full"),
                               ("as_of: 2026-06-05", "as_of: 2026-07-07", "full")):
            roles.write_text(roles.read_text("utf-8").replace(old, new, 1), "utf-8")
            result = session.build({str(roles)})
            assert ("quick" in result.stages) == (path == "quick"), new
            assert "roles/alpha-engineer/index.html" in result.written, new
            _assert_same_as_clean(site, preview, tmp_path / "clean", f"after '{old}' -> '{new}'")
        assert "~$187K" in (preview / "roles/alpha-engineer/index.html").read_text("utf-8")
    finally:
        session.close()


def test_deleted_article_disappears_and_renamed_article_moves(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", base="blog")
    preview = tmp_path / "preview"
    session = Session(site, preview, OPTIONS, in_place=True, progress=False, jobs=1)
    try:
        session.build(None)
        assert (preview / "blog/post-2/index.html").is_file()
        assert (preview / "blog/post-4/index.html").is_file()

        (site / "content/post-2.md").unlink()
        result = session.build({str(site / "content/post-2.md")})
        assert not (preview / "blog/post-2").exists()
        assert "blog/post-2/index.html" in result.removed
        assert b"/blog/post-2/" not in (preview / "index.html").read_bytes() + (preview / "sitemap.xml").read_bytes()

        old, new = site / "content/post-4.md", site / "content/post-four.md"
        old.rename(new)
        result = session.build({str(old), str(new)})
        assert not (preview / "blog/post-4").exists()
        assert b"Post 4: alpha notes" in (preview / "blog/post-four/index.html").read_bytes()
        assert "blog/post-4/index.html" in result.removed and "blog/post-four/index.html" in result.written
        _assert_same_as_clean(site, preview, tmp_path / "clean", "after a delete and a rename")
    finally:
        session.close()


# --- helpers: the server as a user runs it, a livereload client ------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


FENCE = ".sitegen-fence-"  # hidden files sync() writes into the watched folders: the build ignores them


def _fence_only(changed: list[str]) -> bool:
    return bool(changed) and all(f"/{FENCE}" in f"/{name}" for name in changed)


class ServeProcess:
    """`python build.py serve --site SITE --port P` in a subprocess, its temporary folder inside `tmp` (TMPDIR), its
    output lines collected with the time they arrived. It runs with SITEGEN_PREVIEW_TRACE=1, so it also prints a
    `trace: {...}` line when each build starts and ends and when a page connects: the tests wait for those events
    (with generous deadlines), never for time to pass. Stop it with stop() (SIGINT, then kill after a timeout)."""

    URL = re.compile(r"^serving (.+) at (http://127\.0\.0\.1:(\d+)/\S*) \(Ctrl-C to stop\)$")

    def __init__(self, site: Path, tmp: Path, *args: str, port: int | None = None, ready_timeout: float = 60,
                 ready: bool = True, sigint_ignored: bool = False):
        self.site = site.resolve()
        self.tmpdir = tmp / "tmpdir"
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.fences = 0
        env = {**os.environ, "TMPDIR": str(self.tmpdir), "SOURCE_DATE_EPOCH": "1798675200", "PYTHONUNBUFFERED": "1",
               "SITEGEN_PREVIEW_TRACE": "1"}
        self.proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--site", str(site),
                                      "--port", str(self.port), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
                                     # as a script's background job starts: SIGINT ignored (Ctrl-C must still stop it)
                                     preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
                                     if sigint_ignored else None)
        self.out: list[tuple[float, str]] = []
        self.err: list[tuple[float, str]] = []
        self.cv = threading.Condition()
        self.readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self.readers:
            reader.start()
        if not ready:
            return
        try:
            line = self.wait_out(lambda text: self.URL.match(text), timeout=ready_timeout, what="the 'serving' line")
        except BaseException:
            self.stop()
            raise
        match = self.URL.match(line)
        assert match and int(match.group(3)) == self.port, line
        self.url = match.group(2)
        self.origin = f"http://{HOST}:{self.port}"

    def _read(self, stream, lines: list) -> None:
        for line in stream:
            with self.cv:
                lines.append((time.monotonic(), line.rstrip("\n")))
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def _until(self, found, timeout: float, what: str):
        """Wait (on each line that arrives) until found() returns something truthy; return it."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                value = found()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not any(r.is_alive() for r in self.readers):
                    raise AssertionError(f"timed out waiting for {what}; "
                                         f"stdout {self.stdout()!r}, stderr {self.stderr()!r}")
                self.cv.wait(left)

    def _wait(self, lines: list, test, start: int, timeout: float, what: str) -> str:
        return self._until(lambda: next((text for _t, text in lines[start:] if test(text)), None), timeout, what)

    def wait_out(self, test, start: int = 0, timeout: float = 60, what: str = "output") -> str:
        return self._wait(self.out, test, start, timeout, what)

    def wait_err(self, test, start: int = 0, timeout: float = 60, what: str = "output") -> str:
        return self._wait(self.err, test, start, timeout, what)

    def stdout(self) -> list[str]:
        """Standard output without the trace lines: what a user sees."""
        with self.cv:
            return [text for _t, text in self.out if not text.startswith("trace: ")]

    def stderr(self) -> list[str]:
        with self.cv:
            return [text for _t, text in self.err]

    def traces(self) -> list[tuple[float, dict]]:
        with self.cv:
            return [(t, json.loads(text[len("trace: "):])) for t, text in self.out if text.startswith("trace: ")]

    def wait_trace(self, test, after: int = 0, timeout: float = 60, what: str = "a trace event") -> dict:
        """The first trace record from index `after` on that passes `test`, waiting for it if need be."""
        return self._until(lambda: next((r for _t, r in self.traces()[after:] if test(r)), None), timeout, what)

    def builds(self) -> list[tuple[float, str]]:
        """(arrival time, line) of every 'rebuilt' line so far (the first build's too), except those of the builds
        that only sync()'s fence files caused."""
        found, pending = [], None
        with self.cv:
            for t, text in self.out:
                if text.startswith("rebuilt in "):
                    if pending is not None:
                        found.append(pending)
                    pending = (t, text)
                elif text.startswith("trace: ") and pending is not None:
                    record = json.loads(text[len("trace: "):])
                    if record["event"] == "done" and record["ok"]:
                        if not _fence_only(record["changed"]):
                            found.append(pending)
                        pending = None
            if pending is not None:  # its trace line has not arrived yet
                found.append(pending)
        return found

    def wait_builds(self, count: int, timeout: float = 60) -> list[tuple[float, str]]:
        return self._until(lambda: len(self.builds()) >= count and self.builds(), timeout, f"{count} builds")

    def sync(self, timeout: float = 60) -> None:
        """A barrier: write a fence file into every watched folder and wait until the builds that saw them all are
        done and no build is running. The watcher reports each folder's events in order, so every change made
        before has by then been seen and built (the fence builds themselves change nothing and are not counted)."""
        self.fences += 1
        mark = len(self.traces())
        names = {f"{folder}/{FENCE}{self.fences}" for folder in serve_module.WATCHED if (self.site / folder).is_dir()}
        for name in sorted(names):
            (self.site / name).write_text(f"{self.fences}\n", "utf-8")

        def settled() -> bool:
            records = [r for _t, r in self.traces()[mark:] if r["event"] in ("start", "done")]
            seen = {name for r in records if r["event"] == "done" for name in r["changed"]}
            starts = sum(1 for r in records if r["event"] == "start")
            dones = sum(1 for r in records if r["event"] == "done")
            return names <= seen and starts <= dones

        self._until(settled, timeout, f"the builds of fence {self.fences}")

    def connections(self) -> int:
        """How many times a page has registered for reloads."""
        return sum(1 for _t, r in self.traces() if r["event"] == "connected")

    def wait_connections(self, count: int, timeout: float = 60) -> None:
        self._until(lambda: self.connections() >= count, timeout, f"{count} page connections")

    def preview_folder(self) -> Path:
        found = sorted(self.tmpdir.glob("sitegen-preview-*"))
        assert len(found) == 1, found
        return found[0]

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for reader in self.readers:
            reader.join(timeout=5)
        return self.proc.returncode


@contextlib.contextmanager
def serving(site: Path, tmp: Path, *args: str, **kwargs) -> Iterator[ServeProcess]:
    server = ServeProcess(site, tmp, *args, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def get(port: int, raw_path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, bytes, dict]:
    """One request with the path sent exactly as given (http.client does not normalise it)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request(method, raw_path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


HELLO = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}


class ReloadClient:
    """A livereload client (what livereload.js does) on its own event loop thread: it connects to
    ws://127.0.0.1:PORT/livereload with an Origin header, says hello, sends info, and collects what it is sent."""

    def __init__(self, port: int, origin: str | None, headers: dict[str, str] | None = None):
        self.port = port
        self.messages: list[tuple[float, dict]] = []
        self.lock = threading.Condition()
        self.conn = None
        self.collector = None
        self.hello: dict | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._connect(origin, headers or {}), self.loop).result(timeout=20)
        except BaseException:
            self.close()
            raise

    async def _connect(self, origin: str | None, headers: dict[str, str]) -> None:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        headers = {**({"Origin": origin} if origin is not None else {}), **headers}
        request = HTTPRequest(f"ws://{HOST}:{self.port}/livereload", headers=headers,
                              connect_timeout=10, request_timeout=10)
        self.conn = await websocket_connect(request)
        await self.conn.write_message(json.dumps(HELLO))
        self.hello = json.loads(await self.conn.read_message())
        await self.conn.write_message(json.dumps({"command": "info", "url": f"http://{HOST}:{self.port}/"}))
        # a second hello: its answer proves the server has handled 'info' (messages are handled in order)
        await self.conn.write_message(json.dumps(HELLO))
        assert json.loads(await self.conn.read_message())["command"] == "hello"
        self.collector = self.loop.create_task(self._collect())

    async def _collect(self) -> None:
        while True:
            message = await self.conn.read_message()
            if message is None:
                return
            with self.lock:
                self.messages.append((time.monotonic(), json.loads(message)))
                self.lock.notify_all()

    async def _close(self) -> None:
        self.conn.close()
        if self.collector is not None:  # it ends when the server has answered the close
            with contextlib.suppress(Exception):
                await self.collector

    def received(self, since: float = 0.0) -> list[dict]:
        with self.lock:
            return [m for t, m in self.messages if t >= since]

    def wait(self, count: int, since: float = 0.0, timeout: float = 60) -> list[dict]:
        """Until `count` messages have arrived since `since` (woken by each message)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.received(since)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {self.received(since)}")
                self.lock.wait(left)
            return self.received(since)

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(timeout=20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


# --- 2. safety --------------------------------------------------------------------------------------------------------

SECRET = "TOP-SECRET-do-not-serve-7f3a"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """One server on the minimal fixture for the safety and origin tests (they change no source)."""
    tmp = tmp_path_factory.mktemp("serve-safety")
    site = write_site(tmp / "site", base="minimal")
    with serving(site, tmp, "--jobs", "1") as running:
        # a secret beside the preview folder (one '..' up) and inside a folder there, for traversal to find
        (running.tmpdir / "secret.txt").write_text(SECRET, "utf-8")
        (running.tmpdir / "secretdir").mkdir()
        (running.tmpdir / "secretdir" / "secret.txt").write_text(SECRET, "utf-8")
        (running.tmpdir / ".hidden-secret").write_text(SECRET, "utf-8")
        yield running
    assert running.proc.returncode == 0, running.stderr()


TRAVERSALS = [
    "/../secret.txt", "/../../etc/passwd", "/../../../../../../etc/passwd", "/blog/../../x", "/blog/../../secret.txt",
    "/static/../../secret.txt", "/./../secret.txt",
    "/%2e%2e/secret.txt", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/%2E%2E/etc/passwd", "/.%2e/secret.txt",
    "/%2e%2e%2fsecret.txt", "/..%2fsecret.txt", "/..%2f..%2fetc%2fpasswd", "/..%2F..%2Fetc%2Fpasswd",
    "/blog%2f..%2f..%2fsecret.txt", "/%2fetc%2fpasswd", "/%2Fetc/passwd",
    "/%252e%252e%252fsecret.txt", "/%252e%252e/%252e%252e/etc/passwd", "/..%252f..%252fetc%252fpasswd",
    "/%25252e%25252e%25252fsecret.txt",
    "/..\\secret.txt", "/..\\..\\etc\\passwd", "/%5c..%5csecret.txt", "/..%5c..%5cetc%5cpasswd",
    "/blog\\..\\..\\secret.txt",
    "/%c0%ae%c0%ae/secret.txt", "/%c0%af..%c0%afsecret.txt", "/..%00/secret.txt", "/index.html%00.txt",
    "/..;/secret.txt", "//etc/passwd", "///../secret.txt", "/../.hidden-secret", "/%2e%2e/.hidden-secret",
]
OUTSIDE_LINKS = ["/leak.txt", "/leakdir/secret.txt", "/leakdir/", "/leakdir", "/blog/leak.txt", "/leak-etc/passwd"]
DOTFILES = ["/.sitegen-output", "/.nojekyll", "/.git/config", "/.env", "/blog/.hidden", "/.well-known/../.nojekyll",
            "/%2esitegen-output", "/.%73itegen-output", "/static/.css"]


def _assert_refused(server: ServeProcess, path: str) -> None:
    for method in ("GET", "HEAD"):
        status, body, _headers = get(server.port, path, method)
        assert status in (403, 404), f"{method} {path} -> {status} {body[:200]!r}"
        assert SECRET.encode() not in body and b"root:" not in body, f"{method} {path} leaked {body[:200]!r}"


def test_traversal_is_refused(server: ServeProcess) -> None:
    assert get(server.port, "/")[0] == 200
    for path in TRAVERSALS:
        _assert_refused(server, path)
    assert get(server.port, "/")[0] == 200


def test_symlinks_out_of_the_preview_folder_are_refused(server: ServeProcess) -> None:
    preview = server.preview_folder()
    links = {preview / "leak.txt": server.tmpdir / "secret.txt", preview / "leakdir": server.tmpdir / "secretdir",
             preview / "blog" / "leak.txt": server.tmpdir / "secret.txt", preview / "leak-etc": Path("/etc")}
    for link, target in links.items():
        link.symlink_to(target)
    try:
        for path in OUTSIDE_LINKS:
            _assert_refused(server, path)
        # a symlink that stays inside the preview folder is an ordinary file
        (preview / "inside.html").symlink_to(preview / "index.html")
        status, body, _ = get(server.port, "/inside.html")
        assert status == 200 and b"<html" in body
    finally:
        for link in [*links, preview / "inside.html"]:
            link.unlink(missing_ok=True)


def test_dotfiles_are_not_served(server: ServeProcess) -> None:
    preview = server.preview_folder()
    assert (preview / ".sitegen-output").is_file() and (preview / ".nojekyll").is_file()
    (preview / ".git").mkdir()
    (preview / ".git" / "config").write_text(SECRET, "utf-8")
    (preview / ".env").write_text(SECRET, "utf-8")
    try:
        for path in DOTFILES:
            _assert_refused(server, path)
    finally:
        shutil.rmtree(preview / ".git")
        (preview / ".env").unlink()


def _raw(port: int, data: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes, return whatever comes back before the server closes the connection (or the timeout)."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        with contextlib.suppress(OSError):
            s.sendall(data)
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(OSError, TimeoutError):
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


MALFORMED = [
    b"\x00\xff\xfe garbage \x80\x81\r\n\r\n",
    bytes(range(256)) * 8,
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET / FOO/1.0\r\nHost: x\r\n\r\n",
    b"GET /\r\n\r\n",
    b"GET\r\n\r\n",
    b"\r\n\r\n\r\n",
    b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"%2e%2e/" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * 200_000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    b"GET /\xff\xfe\xfd HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /%ff%fe%zz%% HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET http://evil.example/../../etc/passwd HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"GET /livereload HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"GET /livereload HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: !!\r\n"
    b"Sec-WebSocket-Version: 13\r\nOrigin: http://evil.example\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n",  # never finished
]


def test_malformed_requests_never_stop_the_server(server: ServeProcess) -> None:
    for data in MALFORMED:
        answer = _raw(server.port, data)
        assert SECRET.encode() not in answer and b"root:" not in answer
        assert server.proc.poll() is None, f"the server stopped after {data[:60]!r}"
        status, body, _ = get(server.port, "/")
        assert status == 200 and b"</html>" in body, f"after {data[:60]!r}: {status}"
    # a connection dropped half-way through a response, many at once
    for _ in range(20):
        with socket.create_connection((HOST, server.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert get(server.port, "/")[0] == 200
    assert not any("Traceback" in line for line in server.stderr()), server.stderr()


def test_pages_are_served_with_the_reload_script(server: ServeProcess) -> None:
    status, body, headers = get(server.port, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body.count(f'<script src="/livereload.js?port={server.port}"></script>'.encode()) == 1
    assert body.index(b"livereload.js") < body.rindex(b"</body>")
    status, body, headers = get(server.port, f"/livereload.js?port={server.port}")
    assert status == 200 and b"LiveReload" in body
    status, _body, headers = get(server.port, "/static/css/site.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    status, body, _ = get(server.port, "/no/such/page/")
    assert status == 404 and b"livereload.js" in body  # the site's 404 page, which reloads too
    for path in ("/blog", "//blog", "///blog"):  # never '//blog/': a browser would go to the host 'blog'
        status, _body, headers = get(server.port, path)
        assert status in (301, 302) and headers["Location"] == "/blog/", path


def test_reload_socket_refuses_other_origins(server: ServeProcess) -> None:
    from tornado.httpclient import HTTPClientError

    port = server.port
    foreign = ["http://evil.example", f"http://evil.example:{port}", f"http://127.0.0.1:{port + 1}", "null", "",
               f"https://127.0.0.1:{port}", f"http://127.0.0.1:{port}.evil.example", f"http://127.0.0.1:{port}/"]
    for origin in foreign:
        with pytest.raises(HTTPClientError) as refused:
            ReloadClient(port, origin)
        assert refused.value.code == 403, origin
    # a page on another site whose name was re-pointed at 127.0.0.1 (DNS rebinding): its Origin matches the Host
    # header it sends, and a browser calls the request same-origin; still not the preview's own origin
    for headers in ({"Host": f"evil.example:{port}"}, {"Sec-Fetch-Site": "same-origin"},
                    {"Host": f"evil.example:{port}", "Sec-Fetch-Site": "same-origin"}):
        with pytest.raises(HTTPClientError) as refused:
            ReloadClient(port, f"http://evil.example:{port}", headers)
        assert refused.value.code == 403, headers
    for origin in (server.origin, f"http://localhost:{server.port}"):
        client = ReloadClient(server.port, origin)
        try:
            assert client.hello == {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"],
                                    "serverName": "livereload-tornado"}
        finally:
            client.close()


# --- 3. reload messages, debounce, errors -----------------------------------------------------------------------------

RELOAD_ALL = {"command": "reload", "path": "*", "liveCSS": False, "liveImg": True}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ServeProcess]]:
    """A server on the blog fixture for the tests that edit sources; each test syncs with it before it starts."""
    tmp = tmp_path_factory.mktemp("serve-live")
    site = write_site(tmp / "site", base="blog")
    with serving(site, tmp, "--jobs", "1") as running:
        yield site, running
    assert running.proc.returncode == 0, running.stderr()
    assert not any("Traceback" in line or line.startswith("error:") for line in running.stderr()), running.stderr()


@contextlib.contextmanager
def client_of(server: ServeProcess) -> Iterator[ReloadClient]:
    server.sync()
    client = ReloadClient(server.port, server.origin)
    try:
        yield client
    finally:
        client.close()


def _quiet_counts(server: ServeProcess, client: ReloadClient, since: float) -> tuple[int, list[dict]]:
    """After the first build since `since` and a sync with the server (every change seen and built): how many
    builds and which messages since then."""
    server._until(lambda: any(t >= since for t, _ in server.builds()), 60, "a build")
    server.sync()
    return sum(1 for t, _ in server.builds() if t >= since), client.received(since)


def test_html_edit_reloads_every_page(live) -> None:
    site, server = live
    with client_of(server) as client:
        since = time.monotonic()
        path = site / "content/post-1.md"
        # an editor's safe save: write a temporary file beside it, rename it over the original
        temp = path.with_name(".post-1.md.swp")
        temp.write_text(path.read_text("utf-8") + "\nA sentence saved by the HTML test.\n", "utf-8")
        os.replace(temp, path)
        assert client.wait(1, since) == [RELOAD_ALL]
        builds, messages = _quiet_counts(server, client, since)
        assert (builds, messages) == (1, [RELOAD_ALL])
        status, body, _ = get(server.port, "/blog/post-1/")
        assert status == 200 and b"A sentence saved by the HTML test." in body


def test_css_edit_swaps_the_stylesheet_without_a_reload(live) -> None:
    site, server = live
    with client_of(server) as client:
        since = time.monotonic()
        with (site / "static/css/site.css").open("a", encoding="utf-8") as fh:
            fh.write("\n.css-test { color: rgb(1, 2, 3); }\n")
        expected = {"command": "reload", "path": "/static/css/site.css", "liveCSS": True, "liveImg": True}
        assert client.wait(1, since) == [expected]
        builds, messages = _quiet_counts(server, client, since)
        assert (builds, messages) == (1, [expected])
        assert server.builds()[-1][1].endswith(": 1 changed, 0 removed")
        status, body, headers = get(server.port, "/static/css/site.css")
        assert status == 200 and b".css-test { color: rgb(1, 2, 3); }" in body
        assert headers["Cache-Control"] == "no-store"


def test_a_burst_of_fifty_files_is_one_build_and_one_reload(live) -> None:
    site, server = live
    texts = {site / "content" / f"burst-{i:02d}.md": _article_text(i, random.Random(i)).encode() for i in range(50)}
    with client_of(server) as client:
        since = time.monotonic()
        for path, text in texts.items():  # what a `git checkout` of 50 files does
            path.write_bytes(text)
        builds, messages = _quiet_counts(server, client, since)
        assert builds == 1, server.stdout()
        assert messages == [RELOAD_ALL]
        changed = int(re.match(r"rebuilt in \d+ ms: (\d+) changed", server.builds()[-1][1]).group(1))
        assert changed >= 50
        assert get(server.port, "/blog/burst-49/")[0] == 200

        since = time.monotonic()
        for path in texts:  # and 50 deleted at once
            path.unlink()
        builds, messages = _quiet_counts(server, client, since)
        assert builds == 1, server.stdout()
        assert messages == [RELOAD_ALL]
        removed = int(re.search(r"(\d+) removed$", server.builds()[-1][1]).group(1))
        assert removed >= 50
        assert get(server.port, "/blog/burst-49/")[0] == 404


def _slow(thousands: int) -> str:
    """Jinja that renders nothing, slowly: about a second per 25 on this kind of machine, more under load."""
    return f"{{% for i in range({thousands * 1000}) %}}{{% for j in range(1000) %}}{{% endfor %}}{{% endfor %}}"


def test_saves_during_a_build_cause_exactly_one_more_build(live) -> None:
    site, server = live
    template = site / "templates/404.html"
    original = template.read_text("utf-8")
    post = site / "content/post-2.md"
    timings = []
    for attempt in (1, 2):  # a second, slower try only if the machine was so fast that the build ended mid-saves
        with client_of(server) as client:
            before = len(server.builds())
            mark = len(server.traces())
            first, second = f"First save during build {attempt}.", f"Second save during build {attempt}."
            # a template only the 404 page uses, made slow to render: a build of a second or more
            started = time.monotonic()
            template.write_text(original.replace("{% block main %}", "{% block main %}" + _slow(40 * attempt), 1),
                                "utf-8")
            # the event: the build that saw the template edit has started (and renders the 404 page for seconds)
            slow = server.wait_trace(lambda r: r["event"] == "start" and "templates/404.html" in r["changed"],
                                     after=mark, what="the slow build's start")
            first_save = time.monotonic()
            post.write_text(post.read_text("utf-8") + f"\n{first}\n", "utf-8")
            post.write_text(post.read_text("utf-8") + f"\n{second}\n", "utf-8")
            second_save = time.monotonic()
            slow_done, slow_line = server.wait_builds(before + 1, timeout=120)[before]
            slow_ms = int(re.match(r"rebuilt in (\d+) ms", slow_line).group(1))
            done = server.wait_trace(lambda r: r["event"] == "done" and r["build"] == slow["build"], after=mark)
            # the slow build started before the first save (it was running) and did not see the saves
            spanned = slow_done > second_save and "content/post-2.md" not in done["changed"]
            timings.append(f"{slow_line!r} done {slow_done - started:.2f}s after the template edit, saves at "
                           f"{first_save - started:.2f}s and {second_save - started:.2f}s")
            if spanned:
                server.wait_builds(before + 2, timeout=60)
            server.sync()
            builds, messages = len(server.builds()) - before, client.received(started)
        template.write_text(original, "utf-8")
        server.sync()
        if spanned:
            break
    else:
        pytest.fail("the slow build never spanned both saves: " + "; ".join(timings))
    assert builds == 2, f"{server.stdout()[-5:]}; {timings}"  # the slow one and exactly one more
    body = get(server.port, "/blog/post-2/")[1]
    assert first.encode() in body and second.encode() in body  # no save dropped
    assert messages == [RELOAD_ALL]  # the 404 page's bytes did not change; post-2's did


def test_a_failed_build_shows_an_overlay_until_the_next_good_build(live) -> None:
    site, server = live
    roles = site / "data/roles.yaml"
    good = roles.read_text("utf-8")
    line = good.splitlines().index("    median_base: 205000") + 1
    expected = (f'data/roles.yaml:{line}: alpha-engineer.salary.median_base: expected integer, '
                f'got string "<b>x</b>"')
    with client_of(server) as client:
        since = time.monotonic()
        errors = len(server.stderr())
        roles.write_text(good.replace("median_base: 205000", 'median_base: "<b>x</b>"'), "utf-8")
        server.wait_err(lambda text: text.startswith("build failed:"), start=errors)
        assert server.stderr()[errors:] == [expected, "build failed: 1 problem; the preview keeps the last good pages"]
        assert client.wait(1, since) == [RELOAD_ALL]
        for page in ("/", "/roles/alpha-engineer/", "/no/such/page/"):
            body = get(server.port, page)[1].decode()
            assert body.count('id="sitegen-problems"') == 1, page
            assert html.escape(expected) in body and "<b>x</b>" not in body, page
        assert "~$205K" in get(server.port, "/roles/alpha-engineer/")[1].decode()  # the last good page
        assert b"sitegen-problems" not in get(server.port, "/static/css/site.css")[1]

        since = time.monotonic()
        roles.write_text(good.replace("median_base: 205000", "median_base: 211000"), "utf-8")
        assert client.wait(1, since) == [RELOAD_ALL]
        body = get(server.port, "/roles/alpha-engineer/")[1].decode()
        assert "sitegen-problems" not in body and "~$211K" in body
    roles.write_text(good, "utf-8")
    server.sync()


def test_the_served_folder_matches_a_clean_build_after_the_edits_above(live, tmp_path: Path) -> None:
    """The watcher's path end to end: after every edit the tests above made through the running server."""
    site, server = live
    server.sync()
    options = Options(drafts=True, future=True, today=dt.date(2026, 12, 31),
                      base_url=f"http://127.0.0.1:{server.port}/", fingerprint=False)
    build(site, tmp_path / "clean", options, cache=False, jobs=1, progress=False)
    # the search index is renewed in a thread of its own (see _assert_same_as_clean): left out here too
    served, clean = _without_index(snapshot(server.preview_folder())), _without_index(snapshot(tmp_path / "clean"))
    assert sorted(served) == sorted(clean)
    assert [k for k in sorted(served) if served[k] != clean[k]] == []


# --- 4. ports, addresses, Ctrl-C --------------------------------------------------------------------------------------

@contextlib.contextmanager
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        s.listen()
        yield s.getsockname()[1]


def test_a_busy_default_port_moves_to_the_next_free_one() -> None:
    with busy_port() as port:
        sockets, chosen = serve_module.bind_port(HOST, port, port_given=False)
        try:
            assert port < chosen < port + 50
            assert all(s.getsockname() == (HOST, chosen) for s in sockets)
        finally:
            for s in sockets:
                s.close()
        with pytest.raises(OSError) as busy:
            serve_module.bind_port(HOST, port, port_given=True)
        assert busy.value.errno == errno.EADDRINUSE


def test_a_busy_given_port_is_an_error() -> None:
    site = REPO / "tests/fixtures/minimal"
    with busy_port() as port:
        result = subprocess.run([sys.executable, str(REPO / "build.py"), "serve", "--site", str(site),
                                 "--port", str(port)], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"error: cannot listen on 127.0.0.1:{port}: port {port} is in use\n"


def test_another_address_is_used_only_with_a_warning(monkeypatch, capsys) -> None:
    # nothing here may listen beyond 127.0.0.1: the preview is replaced by one that cannot bind
    class Unbindable:
        def __init__(self, site, port, bind, **_kwargs):
            raise OSError(errno.EADDRINUSE, f"port {port} is in use")

    monkeypatch.setattr(serve_module, "Preview", Unbindable)
    site = REPO / "tests/fixtures/minimal"
    assert serve_module.run(site, 8000, "0.0.0.0", True, False, False, None) == 1
    assert capsys.readouterr().err == (
        "warning: serving on 0.0.0.0: other machines on the network can see the preview (drafts included)\n"
        "error: cannot listen on 0.0.0.0:8000: port 8000 is in use\n")
    for local in ("127.0.0.1", "localhost", "::1"):
        assert serve_module.run(site, 8000, local, True, False, False, None) == 1
        assert "warning" not in capsys.readouterr().err


def test_bind_to_another_address_through_the_cli_warns(tmp_path: Path) -> None:
    unroutable = "192.0.2.1"  # TEST-NET-1: no machine has it, so the server cannot start on it
    with socket.socket() as probe:
        try:
            probe.bind((unroutable, 0))
        except OSError:
            pass
        else:
            pytest.skip(f"this machine has the address {unroutable}")
    port = free_port()
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "serve", "--site",
                             str(REPO / "tests/fixtures/minimal"), "--bind", unroutable, "--port", str(port)],
                            capture_output=True, text=True, timeout=60, cwd=REPO,
                            env={**os.environ, "TMPDIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"warning: serving on {unroutable}: other machines on the network can see the preview (drafts included)",
        f"error: cannot listen on {unroutable}:{port}: Cannot assign requested address"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["sigint-default", "sigint-ignored-at-start"])
def test_ctrl_c_stops_cleanly_and_removes_the_preview_folder(tmp_path: Path, sigint_ignored: bool) -> None:
    site = write_site(tmp_path / "site", base="minimal")
    server = ServeProcess(site, tmp_path, "--jobs", "1", sigint_ignored=sigint_ignored)
    try:
        preview = server.preview_folder()
        assert (preview / "index.html").is_file()
        assert server.stdout()[-1] == f"serving {site.resolve()} at http://127.0.0.1:{server.port}/ (Ctrl-C to stop)"
        assert get(server.port, "/")[0] == 200
        client = ReloadClient(server.port, server.origin)  # a connected page must not hold the server up
        try:
            server.proc.send_signal(signal.SIGINT)
            assert server.proc.wait(timeout=15) == 0
        finally:
            client.close()
    finally:
        server.stop()
    assert server.stdout()[-1] == "stopped"
    assert not any("Traceback" in line for line in server.stderr()), server.stderr()
    assert not preview.exists() and list(server.tmpdir.iterdir()) == []
    with pytest.raises(OSError):
        socket.create_connection((HOST, server.port), timeout=2).close()


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["sigint-default", "sigint-ignored-at-start"])
def test_ctrl_c_during_the_first_build_removes_the_preview_folder(tmp_path: Path, sigint_ignored: bool) -> None:
    site = write_site(tmp_path / "site", base="minimal")
    template = site / "templates/404.html"
    slow = template.read_text("utf-8").replace("{% block main %}", "{% block main %}" + _slow(80), 1)
    template.write_text(slow, "utf-8")
    server = ServeProcess(site, tmp_path, "--jobs", "1", ready=False, sigint_ignored=sigint_ignored)
    tmpdir, proc = server.tmpdir, server.proc
    try:
        # inside the first build now (it renders the slow 404 page for seconds)
        server.wait_trace(lambda r: r["event"] == "start" and r["build"] == 1, what="the first build's start")
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        server.stop()
    out, err = "\n".join(server.stdout()), "\n".join(server.stderr())
    assert "serving" not in out, "the first build ended before Ctrl-C: this test proved nothing"
    assert proc.returncode == 0 and out.splitlines()[-1] == "stopped" and "Traceback" not in err, (out, err)
    assert list(tmpdir.iterdir()) == []


def test_sigterm_stops_cleanly_and_removes_the_preview_folder(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", base="minimal")
    server = ServeProcess(site, tmp_path, "--jobs", "1")
    try:
        preview = server.preview_folder()
        assert (preview / "index.html").is_file()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=15) == 0
    finally:
        server.stop()
    assert server.stdout()[-1] == "stopped"
    assert not preview.exists()


def test_requests_for_another_host_name_are_refused(tmp_path: Path) -> None:
    """DNS rebinding: a page of evil.example re-pointed at 127.0.0.1 must not read the preview (drafts included)."""
    site = write_site(tmp_path / "site", base="minimal")
    server = ServeProcess(site, tmp_path, "--jobs", "1")
    try:
        assert get(server.port, "/")[0] == 200
        assert get(server.port, "/", headers={"Host": f"localhost:{server.port}"})[0] == 200
        status, body, _ = get(server.port, "/", headers={"Host": f"evil.example:{server.port}"})
        assert status == 403 and b"Alpha" not in body
    finally:
        server.stop()


def test_build_events_in_process(tmp_path: Path) -> None:
    """Preview's hook for whoever drives it in-process: listeners before and after each build, and wait_for_build()
    returning the outcome (failed builds too) as soon as it is there."""
    site = write_site(tmp_path / "site", base="minimal")
    preview = serve_module.Preview(site, port=free_port(), port_given=True, jobs=1, out=tmp_path / "preview",
                                   quiet=True)
    started: list[tuple[int, tuple[str, ...]]] = []
    preview.on_build_start.append(lambda number, changed: started.append((number, changed)))
    roles = site / "data/roles.yaml"
    good = roles.read_text("utf-8")
    try:
        threading.Thread(target=preview.build, args=(None,), daemon=True).start()
        first = preview.wait_for_build()
        assert first.number == 1 and first.ok and first.changed == () and first.result.pages > 0
        roles.write_text(good.replace("median_base: 205000", 'median_base: "x"'), "utf-8")
        threading.Thread(target=preview.build, args=({str(roles)},), daemon=True).start()
        failed = preview.wait_for_build(after=first.number)
        assert failed.number == 2 and not failed.ok and failed.changed == ("data/roles.yaml",)
        assert failed.problems == tuple(preview.problems) and "median_base" in failed.problems[0]
        roles.write_text(good, "utf-8")
        threading.Thread(target=preview.build, args=({str(roles)},), daemon=True).start()
        assert preview.wait_for_build(lambda o: o.ok, after=failed.number).number == 3
        assert started == [(1, ()), (2, ("data/roles.yaml",)), (3, ("data/roles.yaml",))]
        assert [o.number for o in preview.outcomes] == [1, 2, 3] and preview.builds == 2
        with pytest.raises(TimeoutError):
            preview.wait_for_build(after=3, timeout=0)
    finally:
        for s in preview.sockets:
            s.close()
        preview.close()
