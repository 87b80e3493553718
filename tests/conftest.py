"""Shared helpers: fixture sites written into tmp_path, the CLI run as a user runs it, output snapshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = REPO / "test-artifacts"
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def write_site(root: Path, files: dict[str, str | bytes | None] | None = None, base: str | None = "minimal",
               theme: bool = True) -> Path:
    """A site in `root`: a fixture's content/ and data/ (or the repo's own with base='repo'), the repo's templates,
    static files and schemas, then `files` on top (relative path -> text or bytes; None deletes)."""
    root.mkdir(parents=True, exist_ok=True)
    if base == "repo":
        for name in ("content", "data"):
            shutil.copytree(REPO / name, root / name)
    elif base:
        shutil.copytree(FIXTURES / base, root, dirs_exist_ok=True)
    if theme:
        for name in ("templates", "static", "schemas"):
            # static/images/ holds the repository article's pictures: content, not theme (converting them costs
            # every fixture build half a second)
            skip = shutil.ignore_patterns("images") if name == "static" and base != "repo" else None
            shutil.copytree(REPO / name, root / name, dirs_exist_ok=True, ignore=skip)
    for rel, value in (files or {}).items():
        path = root / rel
        if value is None:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, bytes):
            path.write_bytes(value)
        else:
            path.write_text(value, encoding="utf-8")
    return root


def run_cli(*args: str | os.PathLike, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python build.py ARGS` in a subprocess, exactly as a publisher runs it."""
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": "1798675200", **(env or {})}  # 2026-12-31 UTC
    return subprocess.run([sys.executable, str(REPO / "build.py"), *map(str, args)], capture_output=True, text=True,
                          env=full_env, cwd=cwd or REPO, timeout=300)


def wait_until(condition, timeout: float = 60, what: str = "the condition", interval: float = 0.002):
    """Check `condition()` until it returns something truthy, and return that; fail after `timeout` seconds. For
    events that nothing announces (a file appearing, a lock taken by another process): a deadline, not a guess of
    how long the event takes, with a check every `interval` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file below `directory` with its bytes (empty when it does not exist)."""
    if not directory.exists():
        return {}
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(tmp_path / "site")


@pytest.fixture
def built(site: Path) -> Path:
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    return site / "output"
