"""Safe, atomic output: refused paths leave everything untouched, only sitegen's own directories are replaced, and a
build killed at any moment (kill -9) leaves the previous output/ whole."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import fcntl
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli, snapshot, wait_until, write_site
from sitegen import write
from sitegen.write import MARKER, OutputRefused, Staging, check_output_path, recover

ARTICLE = (Path(__file__).parent / "fixtures/minimal/content/alpha-vs-beta.md").read_text()
EPOCH_ENV = {"SOURCE_DATE_EPOCH": "1798675200"}  # as run_cli sets it


def leftovers(out: Path) -> list[str]:
    """Staging or set-aside directories of `out` that a build left beside it."""
    if not out.parent.is_dir():
        return []
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.sitegen-"))


def tree(directory: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and directory (None) below `directory`, so that even empty folders are compared."""
    return {p.relative_to(directory).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(directory.rglob("*"))}


def built_message(result: subprocess.CompletedProcess) -> str:
    """The success line without its page counts and timing: 'built into OUT'."""
    match = re.fullmatch(r"built \d+ pages? and \d+ static files? into (.+) in \d+\.\d\d s", result.stdout.split("\n")[0])
    assert match, result.stdout
    return f"built into {match.group(1)}"


def assert_refused(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.stderr == f"error: {message}\n"
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


# --- refused output paths -----------------------------------------------------------------------------------------


def test_filesystem_root_is_refused(site: Path) -> None:
    before = sorted(p.name for p in Path("/").iterdir())
    result = run_cli("--site", site, "--out", "/")
    assert_refused(result, "refusing to write the site into /: it is the filesystem root")
    assert sorted(p.name for p in Path("/").iterdir()) == before


def test_home_directory_is_refused(tmp_path: Path, site: Path) -> None:
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / ".bashrc").write_text("export PATH\n")
    (home / "Documents" / "notes.txt").write_text("precious\n")
    before = tree(home)
    result = run_cli("--site", site, "--out", home, env={"HOME": str(home)})
    assert_refused(result, f"refusing to write the site into {home.resolve()}: it is the home directory")
    assert tree(home) == before
    assert leftovers(home) == []


def test_empty_home_directory_is_refused_too(tmp_path: Path, site: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = run_cli("--site", site, "--out", home, env={"HOME": str(home)})
    assert_refused(result, f"refusing to write the site into {home.resolve()}: it is the home directory")
    assert list(home.iterdir()) == []
    assert leftovers(home) == []


def _site_relative(site: Path, rel: str) -> Path:
    return site.parent if rel == ".." else site / rel


OVERLAPS = {
    "site root": (".", "it contains the site's sources"),
    "parent of the site": ("..", "it contains the site's sources"),
    "content/": ("content", "it overlaps content/"),
    "data/": ("data", "it overlaps data/"),
    "templates/": ("templates", "it overlaps templates/"),
    "static/": ("static", "it overlaps static/"),
    "schemas/": ("schemas", "it overlaps schemas/"),
    "folder inside content/": ("content/blog", "it overlaps content/"),
    "new folder deep inside static/": ("static/css/out/site", "it overlaps static/"),
    "folder inside templates/ via ..": ("output/../templates/partials", "it overlaps templates/"),
}


@pytest.mark.parametrize("name", list(OVERLAPS))
def test_output_overlapping_the_sources_is_refused(tmp_path: Path, site: Path, name: str) -> None:
    rel, reason = OVERLAPS[name]
    (site / "content" / "blog").mkdir()
    (site / "content" / "blog" / "keep.txt").write_text("a file to keep\n")
    (site / "output").mkdir()  # an earlier build's output, which must stay as it is too
    (site / "output" / MARKER).write_text(write.MARKER_TEXT, encoding="utf-8")
    (site / "output" / "index.html").write_text("<p>earlier build</p>\n", encoding="utf-8")
    before = tree(tmp_path)
    out = _site_relative(site, rel)

    result = run_cli("--site", site, "--out", out)

    assert_refused(result, f"refusing to write the site into {out.resolve()}: {reason}")
    assert tree(tmp_path) == before


def test_output_reached_through_a_symlink_into_content_is_refused(tmp_path: Path, site: Path) -> None:
    link = tmp_path / "public"
    link.symlink_to(site / "content", target_is_directory=True)
    before = tree(site)
    result = run_cli("--site", site, "--out", link)
    assert_refused(result, f"refusing to write the site into {(site / 'content').resolve()}: it overlaps content/")
    assert tree(site) == before and link.is_symlink()


def test_relative_out_is_resolved_before_checking(tmp_path: Path, site: Path) -> None:
    before = tree(site)
    result = run_cli("--site", "site", "--out", "site/data", cwd=tmp_path)
    assert_refused(result, f"refusing to write the site into {(site / 'data').resolve()}: it overlaps data/")
    assert tree(site) == before


UNMARKED = {
    "files": {"index.html": b"<p>hand-made</p>\n", "notes/todo.txt": b"keep me\n"},
    "only a hidden file": {".git/HEAD": b"ref: refs/heads/main\n"},
    "marker only in a subfolder": {f"sub/{MARKER}": b"x", "sub/page.html": b"<p>x</p>\n"},
}


@pytest.mark.parametrize("name", list(UNMARKED))
def test_non_empty_directory_without_the_marker_is_refused(tmp_path: Path, site: Path, name: str) -> None:
    out = tmp_path / "public"
    for rel, data in UNMARKED[name].items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    before = tree(out)

    result = run_cli("--site", site, "--out", out)

    assert_refused(result, f"refusing to replace {out.resolve()}: it is not empty and was not made by sitegen "
                           f"(no {MARKER} file)")
    assert tree(out) == before
    assert leftovers(out) == []


def test_marker_that_is_a_directory_does_not_count(tmp_path: Path, site: Path) -> None:
    out = tmp_path / "public"
    (out / MARKER).mkdir(parents=True)
    (out / "page.html").write_text("<p>mine</p>\n")
    before = tree(out)
    result = run_cli("--site", site, "--out", out)
    assert_refused(result, f"refusing to replace {out.resolve()}: it is not empty and was not made by sitegen "
                           f"(no {MARKER} file)")
    assert tree(out) == before


def test_default_output_without_the_marker_is_refused(site: Path) -> None:
    (site / "output").mkdir()
    (site / "output" / "index.html").write_text("<p>someone else's</p>\n")
    before = tree(site)
    result = run_cli("--site", site)
    assert_refused(result, f"refusing to replace {(site / 'output').resolve()}: it is not empty and was not made by "
                           f"sitegen (no {MARKER} file)")
    assert tree(site) == before


def test_regular_file_as_out_is_refused(tmp_path: Path, site: Path) -> None:
    out = tmp_path / "site.zip"
    out.write_bytes(b"PK\x03\x04 not really a zip\n")
    result = run_cli("--site", site, "--out", out)
    assert_refused(result, f"refusing to replace {out.resolve()}: it is not a directory")
    assert out.read_bytes() == b"PK\x03\x04 not really a zip\n"
    assert leftovers(out) == []


def test_check_output_path_raises_output_refused(tmp_path: Path, site: Path) -> None:
    with pytest.raises(OutputRefused, match=r"^refusing to write the site into .*: it overlaps static/$"):
        check_output_path(site, site / "static")
    check_output_path(site, site / "output")  # fine: does not exist yet
    check_output_path(site, tmp_path / "elsewhere" / "public")


# --- accepted output paths ----------------------------------------------------------------------------------------


def test_build_leaves_the_marker_and_no_staging_directories(built: Path) -> None:
    assert (built / MARKER).read_text(encoding="utf-8") == write.MARKER_TEXT
    assert (built / "index.html").is_file()
    assert leftovers(built) == []
    assert sorted(p.name for p in built.parent.iterdir()) == [".sitegen-cache", "content", "data", "output", "schemas", "static", "templates"]


def test_empty_existing_directory_is_accepted(tmp_path: Path, site: Path) -> None:
    reference = run_cli("--site", site, "--out", tmp_path / "reference")
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "public"
    out.mkdir()

    result = run_cli("--site", site, "--out", out)

    assert result.returncode == 0, result.stderr
    assert built_message(result) == f"built into {out.resolve()}"
    assert snapshot(out) == snapshot(tmp_path / "reference")
    assert leftovers(out) == []


def test_missing_output_directory_is_created_with_its_parents(tmp_path: Path, site: Path) -> None:
    out = tmp_path / "deploy" / "www" / "public"
    result = run_cli("--site", site, "--out", out)
    assert result.returncode == 0, result.stderr
    assert built_message(result) == f"built into {out.resolve()}"
    assert (out / MARKER).is_file() and (out / "index.html").is_file()
    assert leftovers(out) == []


def test_directory_with_the_marker_is_replaced_whole(tmp_path: Path, site: Path) -> None:
    reference = run_cli("--site", site, "--out", tmp_path / "reference")
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "public"
    (out / "old-page").mkdir(parents=True)
    (out / MARKER).write_text("made by an earlier build\n")
    (out / "old-page" / "index.html").write_text("<p>stale</p>\n")
    (out / ".hidden-stale").write_text("stale\n")

    result = run_cli("--site", site, "--out", out)

    assert result.returncode == 0, result.stderr
    assert tree(out) == tree(tmp_path / "reference")  # stale files and folders are gone
    assert leftovers(out) == []


def test_removed_article_disappears_from_output(site: Path) -> None:
    assert run_cli("--site", site).returncode == 0
    assert (site / "output/blog/gamma/index.html").is_file()
    (site / "content/gamma.md").unlink()
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    assert not (site / "output/blog/gamma").exists()
    assert leftovers(site / "output") == []


def test_folders_made_ahead_are_the_output_folders_exactly(site: Path, tmp_path: Path) -> None:
    """A staged build makes the last build's folders in another process while it loads (sitegen/folders.py); a
    folder no file lands in (an article removed) is gone before the swap: the tree equals a clean build's."""
    assert run_cli("--site", site).returncode == 0
    (site / "content/gamma.md").unlink()
    assert run_cli("--site", site).returncode == 0
    assert run_cli("--site", site, "--out", tmp_path / "clean", "--no-cache").returncode == 0
    assert tree(site / "output") == tree(tmp_path / "clean")


def test_folders_made_ahead_stay_inside_the_staging_folder(tmp_path: Path) -> None:
    from sitegen.folders import Folders

    stage = tmp_path / "stage"
    stage.mkdir()
    folders = Folders(str(stage))
    folders.start(["blog/a/index.html", "../evil/x.html", "blog/../../evil2/y.html", "/abs/z.html",
                   "blog/.hidden/x.html", "index.html", "static/css/site.css"])
    folders.settle()
    made = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*"))
    assert made == ["blog", "blog/a", "static", "static/css"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stage"]
    (stage / "static/css/site.css").write_text("x")
    folders.prune(["static/css/site.css"])
    assert sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*")) == ["static", "static/css",
                                                                                 "static/css/site.css"]


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def _spare(site: Path) -> Path:
    kept = sorted((site / ".sitegen-cache" / "previous-output").iterdir())
    assert len(kept) == 1, kept
    return kept[0]


def test_the_previous_output_is_kept_as_the_next_staging_folder(site: Path, tmp_path: Path) -> None:
    """After a staged build the previous site is in the cache (write.Staging's spare); the next staged build takes
    it as its staging folder, deletes its files and keeps its folders (folders.py). Articles edited, removed and
    added: the output equals a clean build's, folder for folder, each time."""
    assert run_cli("--site", site).returncode == 0
    first = tree(site / "output")
    _append(site / "content/gamma.md", "\nOne more sentence.\n")
    assert run_cli("--site", site).returncode == 0
    assert tree(_spare(site)) == first  # the output the swap replaced, whole
    for step in ("remove", "add"):
        if step == "remove":
            (site / "content/gamma.md").unlink()
        else:
            (site / "content/delta.md").write_text(ARTICLE.replace("Alpha", "Delta"))
        before = tree(site / "output")
        result = run_cli("--site", site)
        assert result.returncode == 0, result.stderr
        clean = tmp_path / f"clean-{step}"
        assert run_cli("--site", site, "--out", clean, "--no-cache").returncode == 0
        assert tree(site / "output") == tree(clean), step
        assert tree(_spare(site)) == before, step
        assert leftovers(site / "output") == []


def test_a_tampered_previous_output_changes_nothing_outside_it(site: Path, tmp_path: Path) -> None:
    """The kept output is emptied by `find`, which deletes a link instead of following it: a link planted in it
    (to a folder outside, in place of a folder the build needs) leaves what it points at untouched, and a file in
    place of a needed folder goes."""
    assert run_cli("--site", site).returncode == 0
    _append(site / "content/gamma.md", "\nEdited.\n")
    assert run_cli("--site", site).returncode == 0
    spare = _spare(site)
    outside = tmp_path / "outside"
    (outside / "blog").mkdir(parents=True)
    (outside / "blog" / "keep.txt").write_text("precious\n")
    os.rename(spare / "blog", tmp_path / "moved-blog")
    (spare / "blog").symlink_to(outside / "blog", target_is_directory=True)
    (spare / "stray").mkdir()
    (spare / "stray" / "page.html").write_text("stale\n")
    needed = sorted(p for p in spare.iterdir() if p.is_dir() and not p.is_symlink() and p.name != "stray")[0]
    subprocess.run(["rm", "-r", str(needed)], check=True)
    needed.write_text("a file where the build needs a folder\n")
    result = run_cli("--site", site, "--out", site / "output")
    assert result.returncode == 0, result.stderr
    assert tree(outside) == {"blog": None, "blog/keep.txt": b"precious\n"}
    assert run_cli("--site", site, "--out", tmp_path / "clean", "--no-cache").returncode == 0
    assert tree(site / "output") == tree(tmp_path / "clean")


def test_a_failed_find_is_made_good_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitegen import folders

    stage = _made_by_sitegen(tmp_path / "stage", {"blog/a/index.html": "a", "blog/b/index.html": "b", "x.css": "x"})
    (stage / "blog" / "link").symlink_to(tmp_path, target_is_directory=True)
    monkeypatch.setattr(folders, "FIND", "false")  # exits 1 at once, having deleted nothing
    kept = folders.Folders(str(stage))
    kept.empty()
    kept.ready()
    assert kept.made == ["blog", "blog/a", "blog/b"]
    assert tree(stage) == {MARKER: write.MARKER_TEXT.encode(), "blog": None, "blog/a": None, "blog/b": None}
    (stage / "blog/a/index.html").write_text("new")
    kept.prune(["blog/a/index.html"])
    assert tree(stage) == {MARKER: write.MARKER_TEXT.encode(), "blog": None, "blog/a": None,
                           "blog/a/index.html": b"new"}
    assert (tmp_path / "stage").is_dir()  # the link was deleted, not what it points at


def test_without_the_cache_the_previous_output_is_deleted(site: Path) -> None:
    assert run_cli("--site", site, "--no-cache").returncode == 0
    (site / "content/gamma.md").unlink()
    assert run_cli("--site", site, "--no-cache").returncode == 0
    assert not (site / ".sitegen-cache" / "previous-output").exists()
    assert leftovers(site / "output") == []


# --- failed builds ------------------------------------------------------------------------------------------------


def test_failed_render_leaves_output_unchanged_and_no_staging(site: Path) -> None:
    first = run_cli("--site", site)
    assert first.returncode == 0, first.stderr
    before = tree(site / "output")
    write_site(site, {"templates/partials/cta.html": "<p>{{ cta.subtitle }}</p>\n"}, base=None, theme=False)

    result = run_cli("--site", site)

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "build failed: 1 problem; output left unchanged"
    assert tree(site / "output") == before
    assert leftovers(site / "output") == []


def test_failed_first_build_creates_nothing(tmp_path: Path, site: Path) -> None:
    write_site(site, {"templates/partials/cta.html": "<p>{{ cta.subtitle }}</p>\n"}, base=None, theme=False)
    out = tmp_path / "deploy" / "public"
    result = run_cli("--site", site, "--out", out)
    assert result.returncode == 1
    assert not out.exists()
    assert leftovers(out) == []


# --- kill -9 at any moment ----------------------------------------------------------------------------------------

BULK = 400


@pytest.fixture
def big(tmp_path: Path) -> dict:
    """A site built once (its output: old), then grown by BULK articles (its clean build elsewhere: new)."""
    root = tmp_path
    site = write_site(root / "site")
    first = run_cli("--site", site)
    assert first.returncode == 0, first.stderr
    old = snapshot(site / "output")
    for i in range(BULK):
        role = "alpha-engineer" if i % 2 else "beta-engineer"
        text = (ARTICLE.replace("title: Alpha vs Beta", f"title: Bulk comparison number {i}")
                .replace("date: 2026-06-05", f"date: 2026-{1 + i % 12:02d}-{1 + i % 28:02d}")
                .replace('pays {{ salary("alpha-engineer") }}', f'pays {{{{ salary("{role}") }}}}'))
        (site / "content" / f"bulk-{i:03d}.md").write_text(text, encoding="utf-8")
    reference = run_cli("--site", site, "--out", root / "reference")
    assert reference.returncode == 0, reference.stderr
    new = snapshot(root / "reference")
    assert len(new) > BULK
    return {"site": site, "old": old, "new": new, "counts": reference.stdout.split(" into ")[0]}


def _count_files(directory: Path) -> int:
    count = 0
    for _root, _dirs, files in os.walk(directory):
        count += len(files)
    return count


def _staging(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.sitegen-new-*"))


def _holds_lock(out: Path) -> bool:
    """Whether another process holds the build's lock on `out` (an flock on its parent folder, write.output_lock)."""
    fd = os.open(out.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases it if we got it
    return False


# kill points, in order: at once; once the build holds the output lock (it is loading the site); or once the
# staging directory holds this share of the new site's files
KILL_POINTS = [
    ("right after start", "start", 0.0),
    ("the build holds the output lock", "lock", 0.0),
    ("staging just appeared", "files", 0.0),
    ("staging half written", "files", 0.5),
    ("staging fully written, around the swap", "files", 1.0),
]


def test_kill_9_at_any_moment_leaves_previous_output_whole(big: dict) -> None:
    site, out = big["site"], big["site"] / "output"
    assert snapshot(out) == big["old"]
    for point, kind, value in KILL_POINTS:
        threshold = max(2, int(len(big["new"]) * value))  # 2: the marker and a page
        proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--site", str(site)], cwd=REPO,
                                env={**os.environ, **EPOCH_ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def staged_enough() -> bool:
            staged = [p for p in _staging(out) if p.name.endswith(f"-{proc.pid}")]
            return bool(staged) and _count_files(staged[0]) >= threshold

        try:
            if kind == "lock":
                wait_until(lambda: proc.poll() is not None or _holds_lock(out), what=f"{point}")
            elif kind == "files":
                wait_until(lambda: proc.poll() is not None or staged_enough(), what=f"{point}")
            running = proc.poll() is None
            if running:
                os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.communicate(timeout=60)

        after = snapshot(out)
        if value == 1.0:  # the last point: the swap may or may not have happened, but it happened whole or not at all
            assert after == big["old"] or after == big["new"], f"{point}: output/ is neither the old site nor the new"
        else:
            assert running, f"{point}: the build finished before it was killed: make the bulk site bigger"
            assert proc.returncode == -signal.SIGKILL
            assert after == big["old"], f"{point}: output/ changed"
            if kind == "files":  # the half-written staging directory is left behind (and is tidied below)
                assert f".output.sitegen-new-{proc.pid}" in leftovers(out)

    result = run_cli("--site", site)

    assert result.returncode == 0, result.stderr
    assert built_message(result) == f"built into {out.resolve()}"
    assert result.stdout.split(" into ")[0] == big["counts"]  # 'built N pages and M static files', as the clean build
    assert snapshot(out) == big["new"]
    assert leftovers(out) == []  # every stale staging directory of the killed builds is gone


# --- recover() and Staging, in process ----------------------------------------------------------------------------


def _made_by_sitegen(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True)
    (directory / MARKER).write_text(write.MARKER_TEXT, encoding="utf-8")
    for rel, text in files.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(text, encoding="utf-8")
    return directory


def test_recover_restores_a_site_set_aside_by_a_crash_between_the_two_renames(tmp_path: Path) -> None:
    out = tmp_path / "output"
    old = _made_by_sitegen(tmp_path / ".output.sitegen-old-123", {"index.html": "<p>old</p>\n", "blog/a/index.html": "a"})
    _made_by_sitegen(tmp_path / ".output.sitegen-new-123", {"index.html": "<p>new, complete</p>\n"})
    expected = snapshot(old)

    recover(out)

    assert snapshot(out) == expected
    assert leftovers(out) == []


def test_recover_drops_stale_staging_and_keeps_output(tmp_path: Path) -> None:
    out = _made_by_sitegen(tmp_path / "output", {"index.html": "<p>current</p>\n"})
    _made_by_sitegen(tmp_path / ".output.sitegen-new-77", {"index.html": "<p>half</p>\n"})
    _made_by_sitegen(tmp_path / ".output.sitegen-old-76", {"index.html": "<p>older</p>\n"})
    expected = snapshot(out)

    recover(out)

    assert snapshot(out) == expected
    assert leftovers(out) == []


def test_recover_never_deletes_what_sitegen_did_not_make(tmp_path: Path) -> None:
    out = tmp_path / "output"
    unmarked = tmp_path / ".output.sitegen-new-5"
    (unmarked / "mine").mkdir(parents=True)
    (unmarked / "mine" / "file.txt").write_text("keep\n")
    other = _made_by_sitegen(tmp_path / ".public.sitegen-new-9", {"index.html": "other output folder\n"})
    plain = tmp_path / "notes.txt"
    plain.write_text("keep\n")
    before = tree(tmp_path)

    recover(out)

    assert tree(tmp_path) == before
    assert other.is_dir() and not out.exists()


def test_recover_removes_an_empty_staging_directory_killed_before_its_marker(tmp_path: Path) -> None:
    out = _made_by_sitegen(tmp_path / "output", {"index.html": "<p>current</p>\n"})
    (tmp_path / ".output.sitegen-new-31").mkdir()  # mkdir done, marker not yet written
    expected = snapshot(out)
    recover(out)
    assert snapshot(out) == expected
    assert leftovers(out) == []


def test_recover_without_a_parent_directory_does_nothing(tmp_path: Path) -> None:
    recover(tmp_path / "missing" / "output")
    assert list(tmp_path.iterdir()) == []


def test_staging_writes_beside_output_and_commits_atomically(tmp_path: Path) -> None:
    out = _made_by_sitegen(tmp_path / "output", {"index.html": "old\n", "gone.html": "old\n"})
    staging = Staging(out)
    assert staging.dir == tmp_path / f".output.sitegen-new-{os.getpid()}"
    assert (staging.dir / MARKER).read_text(encoding="utf-8") == write.MARKER_TEXT
    staging.write("index.html", b"new\n")
    staging.write("blog/a/index.html", b"a\n")
    source = tmp_path / "site.css"
    source.write_bytes(b"body{}\n")
    staging.copy("static/site.abc.css", source)
    assert snapshot(out) == {MARKER: write.MARKER_TEXT.encode(), "gone.html": b"old\n", "index.html": b"old\n"}

    staging.commit()

    assert snapshot(out) == {MARKER: write.MARKER_TEXT.encode(), "blog/a/index.html": b"a\n", "index.html": b"new\n",
                             "static/site.abc.css": b"body{}\n"}
    assert leftovers(out) == []


def test_commit_without_rename_exchange_falls_back_to_two_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    out = _made_by_sitegen(tmp_path / "output", {"index.html": "old\n"})
    staging = Staging(out)
    staging.write("index.html", b"new\n")
    staging.commit()
    assert snapshot(out) == {MARKER: write.MARKER_TEXT.encode(), "index.html": b"new\n"}
    assert leftovers(out) == []


def test_commit_into_a_missing_output(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "output"
    staging = Staging(out)
    staging.write("index.html", b"new\n")
    staging.commit()
    assert snapshot(out) == {MARKER: write.MARKER_TEXT.encode(), "index.html": b"new\n"}
    assert leftovers(out) == []


def test_discard_removes_the_staging_directory(tmp_path: Path) -> None:
    out = _made_by_sitegen(tmp_path / "output", {"index.html": "old\n"})
    staging = Staging(out)
    staging.write("blog/a/index.html", b"a\n")
    staging.discard()
    assert snapshot(out) == {MARKER: write.MARKER_TEXT.encode(), "index.html": b"old\n"}
    assert leftovers(out) == []


class SimulatedKill(BaseException):
    """Stands for SIGKILL: nothing after it runs, no cleanup handler catches it."""


def _kill_after(monkeypatch: pytest.MonkeyPatch, name: str, calls: int) -> None:
    """Make the `calls`+1-th call of os.<name> die, as if the process were killed right before it."""
    real = getattr(os, name)
    done = [0]

    def dying(*args, **kwargs):
        if done[0] == calls:
            raise SimulatedKill(name)
        done[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, dying)


def test_crash_between_the_fallback_renames_is_repaired_by_the_next_build(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = _made_by_sitegen(tmp_path / "output", {"index.html": "old\n"})
    expected = snapshot(out)
    staging = Staging(out)
    staging.write("index.html", b"new\n")
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    _kill_after(monkeypatch, "rename", 1)
    with pytest.raises(SimulatedKill):
        staging.commit()
    monkeypatch.undo()
    assert not out.exists()  # the moment between the renames

    recover(out)

    assert snapshot(out) == expected
    assert leftovers(out) == []


# A build killed while deleting a directory (the old site after the swap, or a discarded staging directory) must leave
# something recover() still recognises as sitegen's, so the next build tidies it; otherwise it lingers forever.
REMOVALS = ["commit (exchange)", "commit (two renames)", "discard"]


@pytest.mark.parametrize("how", REMOVALS)
def test_kill_during_removal_is_tidied_by_recover(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    files = {f"blog/p{i}/index.html": f"{i}\n" for i in range(4)} | {"index.html": "old\n", "feed.xml": "x\n"}
    for k in range(2 * len(files) + 6):  # every point of the removal: each unlink and rmdir
        case = tmp_path / f"kill-{k}"
        out = _made_by_sitegen(case / "output", files)
        staging = Staging(out)
        for i in range(4):
            staging.write(f"blog/p{i}/index.html", b"new\n")
        staging.write("index.html", b"new\n")
        expected = snapshot(staging.dir) if how.startswith("commit") else snapshot(out)
        if how == "commit (two renames)":
            monkeypatch.setattr(write, "_exchange", lambda a, b: False)
        calls = {"n": 0}
        real_unlink, real_rmdir = os.unlink, os.rmdir

        def counted(real):
            def call(*args, **kwargs):
                if calls["n"] == k:
                    raise SimulatedKill(real.__name__)
                calls["n"] += 1
                return real(*args, **kwargs)
            return call

        monkeypatch.setattr(os, "unlink", counted(real_unlink))
        monkeypatch.setattr(os, "rmdir", counted(real_rmdir))
        try:
            staging.commit() if how.startswith("commit") else staging.discard()
        except SimulatedKill:
            pass
        monkeypatch.undo()

        assert snapshot(out) == expected, f"killed before deletion {k}"
        recover(out)
        assert snapshot(out) == expected, f"killed before deletion {k}"
        assert leftovers(out) == [], f"killed before deletion {k}: leftover not recognised as sitegen's"


def test_an_output_inside_the_kept_outputs_folder_is_never_taken_for_one(site: Path) -> None:
    """--out pointing into .sitegen-cache/previous-output: the build keeps no previous output there."""
    out = site / ".sitegen-cache" / "previous-output"
    for _ in range(2):
        result = run_cli("--site", site, "--out", out)
        assert result.returncode == 0, result.stderr
        _append(site / "content/gamma.md", "\nMore.\n")
    assert (out / MARKER).is_file() and (out / "index.html").is_file()
    assert sorted(p.name for p in out.iterdir() if len(p.name) == 16 and p.is_dir()) == []


def test_a_build_into_a_missing_output_leaves_the_kept_output_alone(site: Path, tmp_path: Path) -> None:
    """CI restores the cache into a fresh clone: no output/ there, so the kept output (had a job built twice) is
    not emptied into it; the build is a clean build's, and nothing new is kept (there was no output to replace)."""
    assert run_cli("--site", site).returncode == 0
    _append(site / "content/gamma.md", "\nEdited.\n")
    assert run_cli("--site", site).returncode == 0
    kept = tree(_spare(site))
    subprocess.run(["rm", "-r", str(site / "output")], check=True)
    assert run_cli("--site", site).returncode == 0
    assert tree(_spare(site)) == kept
    assert run_cli("--site", site, "--out", tmp_path / "clean", "--no-cache").returncode == 0
    assert tree(site / "output") == tree(tmp_path / "clean")
