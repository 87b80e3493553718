"""Deterministic: two builds of the same input give byte-identical output, whatever the hash seed, the output folder,
the site's location, the time zone or the order in which the source files were created."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import run_cli, snapshot, write_site

ARTICLE = (Path(__file__).parent / "fixtures/minimal/content/alpha-vs-beta.md").read_text()


def build(site: Path, out: Path, **env: str) -> dict[str, bytes]:
    result = run_cli("--site", site, "--out", out, env=env)
    assert result.returncode == 0, result.stderr
    files = snapshot(out)
    assert "index.html" in files and ".sitegen-output" in files
    return files


def differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))


@pytest.mark.parametrize("base", ["minimal", "repo"])
def test_two_builds_are_byte_identical(tmp_path: Path, base: str) -> None:
    site = write_site(tmp_path / "site", base=base)

    first = build(site, tmp_path / "first", PYTHONHASHSEED="1")
    second = build(site, tmp_path / "elsewhere" / "second", PYTHONHASHSEED="4242")

    assert differences(first, second) == []
    assert first == second


def test_rebuild_into_the_same_folder_is_byte_identical(site: Path) -> None:
    first = build(site, site / "output", PYTHONHASHSEED="random")
    second = build(site, site / "output", PYTHONHASHSEED="0")  # 0: hash randomisation off
    assert differences(first, second) == []


def test_output_does_not_depend_on_where_the_site_lives_nor_on_the_environment(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    moved = tmp_path / "a much longer" / "path with spaces" / "copy"
    shutil.copytree(site, moved)
    for path in moved.rglob("*"):  # different modification times too
        os.utime(path, (1_000_000_000, 1_000_000_000))

    first = build(site, tmp_path / "first", PYTHONHASHSEED="1", TZ="UTC")
    second = build(moved, moved / "output", PYTHONHASHSEED="2", TZ="Pacific/Kiritimati", LC_ALL="C", LANG="C")

    assert differences(first, second) == []


def test_order_in_which_sources_were_created_does_not_matter(tmp_path: Path) -> None:
    """Many articles on the same date: directory order differs between the two copies, the output must not."""
    names = [f"same-day-{i:02d}" for i in range(12)]
    sites = []
    for label, order in (("forward", names), ("backward", names[::-1])):
        site = write_site(tmp_path / label)
        for name in order:
            text = ARTICLE.replace("title: Alpha vs Beta", f"title: Same day {name}").replace("date: 2026-06-05",
                                                                                             "date: 2026-03-03")
            (site / "content" / f"{name}.md").write_text(text, encoding="utf-8")
        sites.append(site)

    forward = build(sites[0], tmp_path / "out-forward", PYTHONHASHSEED="7")
    backward = build(sites[1], tmp_path / "out-backward", PYTHONHASHSEED="8")

    assert differences(forward, backward) == []
    assert len(forward) >= len(names) + 4  # every article page, the index, the marker, the stylesheet
