"""Golden output: the fixture site builds to exactly the committed files. `UPDATE_GOLDEN=1 pytest` rewrites them.

Of the search index (pagefind/, binary and Pagefind's own) only bundles.json (its shards) and each shard's
pagefind-entry.json are kept: the latter names the shard's
meta file by a hash of its contents, which name every fragment, word and filter file by theirs, so any change to
the index changes it.

Social cards (`*.png`) are kept as one line of text each, their size and format: their bytes depend on the
machine's zlib and FreeType, and tests/test_cards.py checks what they show."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import run_cli, snapshot, write_site

GOLDEN = Path(__file__).parent / "golden" / "minimal"


def test_fixture_site_matches_golden_output(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    out = site / "output"
    for path in sorted((out / "pagefind").rglob("*"), reverse=True):
        if path.is_file() and path.name not in ("pagefind-entry.json", "bundles.json"):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    for path in sorted(out.rglob("*.png")):
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", path
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        path.write_text(f"PNG {width}x{height}\n")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    expected, actual = snapshot(GOLDEN), snapshot(out)
    assert sorted(actual) == sorted(expected), "files differ; run UPDATE_GOLDEN=1 pytest tests/test_golden.py and review the diff"
    for name in expected:
        assert actual[name].decode() == expected[name].decode(), f"{name} differs from tests/golden/minimal/{name}"
