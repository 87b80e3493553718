"""Every built page passes the W3C Nu HTML Checker (vnu.jar from npm's vnu-jar) with no errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import VNU_JAR, run_cli, write_site

pytestmark = pytest.mark.vnu


def vnu_errors(paths: list[Path]) -> list[str]:
    assert VNU_JAR.is_file(), "vnu.jar missing: run `make test` (it installs npm's vnu-jar)"
    java = shutil.which("java")
    assert java, "java missing: run `make test` (it installs default-jre-headless)"
    proc = subprocess.run([java, "-jar", str(VNU_JAR), "--format", "json", "--errors-only", *map(str, paths)],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stderr or proc.stdout)
    return [f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}" for m in report["messages"]
            if m["type"] == "error" or m.get("subType") == "fatal"]


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


@pytest.mark.parametrize("base", ["repo", "minimal", "blog"])
def test_every_built_page_is_valid_html(tmp_path: Path, base: str) -> None:
    site = write_site(tmp_path / "site", base=base)
    result = run_cli("--site", site, "--drafts", "--future")
    assert result.returncode == 0, result.stderr
    pages = html_files(site / "output")
    assert len(pages) >= 2
    assert vnu_errors(pages) == []


def test_the_checker_really_reports_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div>nested</p></html>")
    assert vnu_errors([bad]) != []
