"""Editors' laptops (issue 14, point 6): the build, `check` and the preview work with the `spawn` start method
(macOS's and Windows's default), byte for byte as with `fork`, and nothing Linux-only is needed.

The sites are big enough for the worker pool (more than workers.PARALLEL_MIN articles and pages), so conversion,
rendering and the page checks really run in worker processes that received their job through the pool's
initializer: inherited with fork, pickled with spawn.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import REPO, run_cli, snapshot, write_site

from sitegen import locking, workers, write
from sitegen.options import Options
from sitegen.pipeline import Session

ARTICLES = 120  # above PARALLEL_MIN (48) articles and pages: the pool is used for every stage
METHODS = [m for m in ("fork", "spawn") if m in multiprocessing.get_all_start_methods()]
OPTIONS = Options(drafts=True, future=True, today=dt.date(2026, 12, 31), base_url="http://127.0.0.1:9/",
                  fingerprint=False)


def _article(n: int) -> str:
    roles = ["[alpha-engineer]", "[beta-engineer]", "[alpha-engineer, beta-engineer]", "[]"][n % 4]
    return (f"---\ntitle: \"Generated article number {n}\"\n"
            f"description: The generated article number {n}, written to make the site big enough for workers.\n"
            f"date: 2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}\ncategory: {['Hiring', 'Salary Data'][n % 2]}\n"
            f"tags: [Generated, T{n % 5}]\nroles: {roles}\n---\n\n"
            f"## Why article {n}?\n\nBeta earns {{{{ salary(\"beta-engineer\") }}}} and alpha "
            f"{{{{ salary(\"alpha-engineer\") }}}}; see [the first one](/blog/generated-{(n + 1) % ARTICLES}/).\n\n"
            f"```python\nprint({n})\n```\n\n| a | b |\n|---|---|\n| {n} | {n * 2} |\n")


def _generated(root: Path) -> Path:
    files = {f"content/generated-{n}.md": _article(n) for n in range(ARTICLES)}
    return write_site(root, files)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("start-methods")
    return {"minimal": write_site(tmp / "minimal"), "generated": _generated(tmp / "generated")}


def test_start_method_default_and_override(monkeypatch) -> None:
    monkeypatch.delenv("SITEGEN_START_METHOD", raising=False)
    assert workers.start_method() == ("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    for method in multiprocessing.get_all_start_methods():
        monkeypatch.setenv("SITEGEN_START_METHOD", method)
        assert workers.start_method() == method
        assert workers.Pool(2).method == method
    monkeypatch.setenv("SITEGEN_START_METHOD", "thread")
    with pytest.raises(ValueError, match="SITEGEN_START_METHOD='thread'"):
        workers.start_method()


PARENT_ONLY: list[int] = []  # filled in the parent: a forked worker sees it, a spawned one imports this module anew


def _probe(job: int) -> tuple[int, int]:
    return len(PARENT_ONLY), job


def _remember(job) -> None:
    global _received
    _received = job


_received = None


def _received_job(_task) -> object:
    return _received


@pytest.mark.parametrize("method", METHODS)
def test_the_pool_starts_workers_with_the_method_and_hands_them_the_job(method: str) -> None:
    PARENT_ONLY.append(1)
    pool = workers.Pool(2, method)
    try:
        assert pool.method == method
        inherited = {n for n, _ in pool.imap(_probe, range(4))}
        assert inherited == ({1} if method == "fork" else {0})
        job = ("a job", {"roles": [1, 2, 3]})
        assert list(pool.imap(_received_job, range(4), initializer=_remember, job=job)) == [job] * 4
        other = ("another job",)
        assert list(pool.imap(_received_job, range(4), initializer=_remember, job=other)) == [other] * 4
    finally:
        pool.close()
        PARENT_ONLY.clear()


def _build(site: Path, method: str, *args: str) -> dict[str, bytes]:
    out = site / "output"
    for leftover in (out, site / ".sitegen-cache"):
        shutil.rmtree(leftover, ignore_errors=True)
    result = run_cli("--site", site, "--jobs", "2", *args, env={"SITEGEN_START_METHOD": method})
    assert result.returncode == 0, result.stderr
    try:
        return snapshot(out)
    finally:
        shutil.rmtree(out)


@pytest.mark.skipif(METHODS != ["fork", "spawn"], reason="needs both fork and spawn")
@pytest.mark.parametrize("name", ["minimal", "generated"])
def test_build_with_spawn_is_byte_identical_to_fork(sites: dict[str, Path], name: str) -> None:
    site = sites[name]
    forked, spawned = _build(site, "fork"), _build(site, "spawn")
    assert sorted(forked) == sorted(spawned)
    assert [k for k in sorted(forked) if forked[k] != spawned[k]] == []
    if name == "generated":
        assert sum(1 for k in forked if k.startswith("blog/generated-") and k.endswith("/index.html")) == ARTICLES
    # a warm build (articles from the store, pages compared with the last build's) too
    site_out = site / "output"
    first = run_cli("--site", site, "--jobs", "2", env={"SITEGEN_START_METHOD": "fork"})
    assert first.returncode == 0, first.stderr
    (site / "templates/base.html").write_text((site / "templates/base.html").read_text("utf-8") + "\n", "utf-8")
    try:
        warm = run_cli("--site", site, "--jobs", "2", env={"SITEGEN_START_METHOD": "spawn"})
        assert warm.returncode == 0, warm.stderr
        warm_spawned = snapshot(site_out)
        assert _build(site, "fork") == warm_spawned
    finally:
        base = site / "templates/base.html"
        base.write_text(base.read_text("utf-8")[:-1], "utf-8")


@pytest.mark.skipif(METHODS != ["fork", "spawn"], reason="needs both fork and spawn")
@pytest.mark.parametrize("name", ["minimal", "generated"])
def test_check_with_spawn_reports_the_same_as_fork(sites: dict[str, Path], name: str) -> None:
    if workers.default_jobs() < 2:
        pytest.skip("`check` uses one worker per core: this machine has one")
    site = sites[name]
    reports = {}
    for method in ("fork", "spawn"):
        result = run_cli("check", "--site", site, "--drafts", "--future", env={"SITEGEN_START_METHOD": method})
        reports[method] = (result.returncode, result.stdout, result.stderr)
    assert reports["fork"] == reports["spawn"]
    assert reports["fork"][1].splitlines()[-1].startswith("check: ")
    assert "pages" in reports["fork"][1]


@pytest.mark.skipif("spawn" not in METHODS, reason="needs spawn")
def test_the_preview_builds_with_spawn(sites: dict[str, Path], tmp_path: Path, monkeypatch) -> None:
    """The preview's Session (in place, complete articles) with jobs=2: the first build, a template edit that
    re-renders every page in workers, and a clean build with one process agree byte for byte."""
    site = write_site(tmp_path / "site", {f"content/generated-{n}.md": _article(n) for n in range(ARTICLES)})
    monkeypatch.setenv("SITEGEN_START_METHOD", "spawn")
    session = Session(site, tmp_path / "preview", OPTIONS, jobs=2, in_place=True, progress=False)
    try:
        first = session.build(None)
        assert first.rendered > workers.PARALLEL_MIN
        base = site / "templates/base.html"
        base.write_text(base.read_text("utf-8").replace("</body>", "<!-- edited -->\n</body>", 1), "utf-8")
        again = session.build({str(base)})
        assert len(again.written) > workers.PARALLEL_MIN
    finally:
        session.close()
    monkeypatch.delenv("SITEGEN_START_METHOD")
    clean = Session(site, tmp_path / "clean", OPTIONS, jobs=1, in_place=True, progress=False, cache=False)
    try:
        clean.build(None)
    finally:
        clean.close()
    preview, expected = snapshot(tmp_path / "preview"), snapshot(tmp_path / "clean")
    assert sorted(preview) == sorted(expected)
    assert [k for k in sorted(preview) if preview[k] != expected[k]] == []
    assert b"<!-- edited -->" in preview["index.html"]


def test_output_lock_fallbacks_without_fcntl(tmp_path: Path, monkeypatch) -> None:
    """Where there is no fcntl (Windows has msvcrt; otherwise an exclusive lock file): one build at a time per
    output folder, and no lock file is left when the build ends."""
    monkeypatch.setattr(write, "fcntl", None)
    monkeypatch.setattr(locking, "msvcrt", None)
    waiting = threading.Event()  # set when a second build finds the lock taken and waits

    def pause(seconds: float) -> None:
        waiting.set()
        time.sleep(seconds)

    monkeypatch.setattr(locking, "time", SimpleNamespace(sleep=pause))
    out = tmp_path / "site" / "output"
    lock = out.parent / f".sitegen-lock-{out.name}"
    order: list[str] = []

    def second() -> None:
        with write.output_lock(out):
            order.append("second")

    thread = threading.Thread(target=second, daemon=True)
    with write.output_lock(out):
        assert lock.is_file() and lock.read_text("ascii").strip() == str(os.getpid())
        thread.start()
        assert waiting.wait(timeout=60), "the second build never waited for the lock"
        assert order == []
        order.append("first")
    thread.join(timeout=60)
    assert order == ["first", "second"]
    assert not lock.exists()
    # a lock file left by a killed build (its process is gone) does not block the next one
    lock.write_text("999999999\n", "ascii")
    with write.output_lock(out):
        assert lock.read_text("ascii").strip() == str(os.getpid())
    assert not lock.exists()


def test_nothing_linux_only_is_imported_unguarded() -> None:
    """Every sitegen module imports on a system without fcntl (Windows), and a build works there."""
    code = ("import sys; sys.modules['fcntl'] = None\n"  # None in sys.modules: `import fcntl` raises ImportError
            "import pkgutil, importlib, sitegen\n"
            "for m in pkgutil.iter_modules(sitegen.__path__): importlib.import_module('sitegen.' + m.name)\n"
            "from sitegen import write; assert write.fcntl is None\n"
            "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr


def test_output_lock_on_windows_locks_a_file_with_msvcrt(tmp_path: Path, monkeypatch) -> None:
    """The Windows path, with msvcrt.locking played by fcntl.lockf (the same byte-range lock): the lock file is
    locked for the build and unlocked and removed after it."""
    import fcntl

    calls: list[int] = []

    def fake_locking(fd: int, mode: int, length: int) -> None:
        calls.append(mode)
        fcntl.lockf(fd, fcntl.LOCK_EX if mode == 1 else fcntl.LOCK_UN, length)

    monkeypatch.setattr(write, "fcntl", None)
    monkeypatch.setattr(locking, "msvcrt", SimpleNamespace(LK_LOCK=1, LK_UNLCK=0, locking=fake_locking))
    out = tmp_path / "site" / "output"
    with write.output_lock(out):
        assert (out.parent / f".sitegen-lock-{out.name}").is_file() and calls == [1]
    assert calls == [1, 0] and not (out.parent / f".sitegen-lock-{out.name}").exists()


def _pid(_task) -> int:
    time.sleep(0.01)
    return os.getpid()


@pytest.mark.skipif("fork" not in METHODS, reason="renewal applies to forked workers")
def test_forked_render_workers_are_renewed_on_large_sites(sites: dict[str, Path], monkeypatch) -> None:
    """A forked worker copies each memory page of the parent it touches: past RENEW_ITEMS pages per worker, workers
    are replaced by fresh ones (Pool.renewal), and the output is the same byte for byte."""
    pool = workers.Pool(2, "fork")
    small = pool.ranges(1_000)
    assert pool.renewal(small) is None  # 4,000 articles: about 10,000 pages and variants, never renewed
    assert pool.renewal(pool.ranges(16_001)) == 125 and pool.renewal(pool.ranges(240_000)) == 125
    assert workers.Pool(2, "spawn").renewal(pool.ranges(240_000)) is None
    try:
        pids = pool.imap(_pid, range(8), initializer=_remember, job=("job",), renew=2)
        assert len(set(pids)) >= 4  # 8 tasks, 2 each: at least 4 workers
    finally:
        pool.close()
    site = sites["generated"]
    plain = _build(site, "fork")
    monkeypatch.setenv("SITEGEN_RENEW_PAGES", "16")
    assert workers.Pool(2, "fork").renewal(workers.Pool(2, "fork").ranges(300)) == 1  # a fresh worker per task
    renewed = _build(site, "fork")
    assert renewed == plain
