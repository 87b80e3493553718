"""bench/peers/convert.py: the peers' copies of a generated bench site (no peer is run here, nothing is timed)."""

from __future__ import annotations

import yaml

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "bench" / "peers"))
import convert  # noqa: E402  (bench/peers/convert.py)
import generate  # noqa: E402  (bench/generate.py)


def test_conversion_keeps_bodies_and_front_matter_and_maps_components(tmp_path):
    site, out = tmp_path / "site", tmp_path / "peers"
    generate.generate(5, site, seed=3)
    convert.convert(site, out)
    articles = sorted((site / "content").glob("*.md"))
    assert len(articles) == 5
    roles = (site / "data" / "roles.yaml").read_text(encoding="utf-8")
    assert (out / "hugo" / "data" / "roles.yaml").read_text(encoding="utf-8") == convert.peer_roles(roles)
    assert (out / "eleventy" / "_data" / "roles_data.yaml").read_text(encoding="utf-8") == convert.peer_roles(roles)
    assert yaml.safe_load(convert.peer_roles(roles)) == {"roles": yaml.safe_load(roles)}  # the same records
    for path in articles:
        text = path.read_text(encoding="utf-8")
        front, body = convert.split_front_matter(text)
        hugo = (out / "hugo" / "content" / "blog" / path.name).read_text(encoding="utf-8")
        eleventy = (out / "eleventy" / "blog" / path.name).read_text(encoding="utf-8")
        pelican = (out / "pelican" / "content" / path.name).read_text(encoding="utf-8")
        assert hugo.startswith(front) and eleventy.startswith(front)
        # only the components' syntax differs: undo it and the body is the same
        assert convert.COMPONENT.search(hugo[len(front):]) is None
        assert "{{< salary_table >}}" in hugo and "{{< quick_answer >}}" in hugo
        assert "{% salary_table %}" in eleventy and "{% quick_answer %}" in eleventy
        undone = hugo[len(front):].replace("{{< ", "{{ ").replace(" >}}", " }}")
        assert len(undone.splitlines()) == len(body.splitlines())
        # Pelican: Key: value metadata, every component replaced by its value
        assert pelican.startswith("Title: ") and "\nSlug: " + path.stem + "\n" in pelican
        assert "{{" not in pelican and "{%" not in pelican
        assert '<table class="salary-table">' in pelican and "~$" in pelican


def test_one_article_in_ten_has_a_lead_image_every_peer_publishes(tmp_path):
    site, out = tmp_path / "site", tmp_path / "peers"
    generate.generate(21, site, seed=3)
    leads = sorted(p.name for p in (site / "bench-images").iterdir())
    assert leads == ["lead-000001.jpg", "lead-000011.jpg", "lead-000021.jpg"]
    assert sorted(p.name for p in (site / "static" / "images").iterdir() if p.name.startswith("lead-")) == leads
    with_image = [p.name for p in sorted((site / "content").glob("*.md")) if "\nimage: /images/lead-" in p.read_text()]
    assert len(with_image) == 3
    again = tmp_path / "again"
    generate.generate(21, again, seed=3)
    assert [(again / "bench-images" / n).read_bytes() for n in leads] == [(site / "bench-images" / n).read_bytes()
                                                                          for n in leads]
    convert.convert(site, out)
    for folder in ("hugo/static/images", "eleventy/images", "pelican/content/images"):
        assert sorted(p.name for p in (out / folder).iterdir()) == leads, folder
    # the same-work comparison's cards: the site's own logo and fonts, for Hugo's images.Text and Eleventy's SVG
    cards = site / "templates" / "cards"
    for copy, source in (("hugo/assets/cards/logo.png", "logo.png"), ("eleventy/_card/logo.png", "logo.png"),
                         ("hugo/assets/cards/DejaVuSans-Bold.ttf", "fonts/DejaVuSans-Bold.ttf"),
                         ("hugo/assets/cards/DejaVuSans.ttf", "fonts/DejaVuSans.ttf")):
        assert (out / copy).read_bytes() == (cards / source).read_bytes(), copy
    assert "samework = true" in (out / "hugo" / "samework.toml").read_text(encoding="utf-8")


def test_pelican_values_follow_the_data():
    roles = {"a": {"title": "A", "salary": {"median_base": 205000}, "job_postings": 12345, "source": "S",
                   "as_of": "2025-01-01", "responsibilities": [{"name": "N", "detail": "D <x>"}], "skills": []},
             "b": {"title": "B", "salary": {"median_base": 190400}, "job_postings": 7, "source": "S",
                   "as_of": "2025-01-01", "responsibilities": [], "skills": []}}
    c = convert.PelicanComponents(roles)
    assert c.substitute_inline('{{ salary("a") }} / {{ postings("a") }} / {{ salary_gap("b", "a") }}') == "~$205K / 12,345 / ~$15K"
    assert "<li><strong>N:</strong> D &lt;x&gt;</li>" in c.block("responsibilities", ["a"], {})
    assert convert.money(1_250_000) == "~$1.25M" and convert.money(950) == "~$950"


def test_compare_lists_its_comparisons():
    result = subprocess.run([sys.executable, str(REPO / "bench" / "compare.py"), "--list"], capture_output=True,
                            text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    for name in ("cold", "cold_same", "warm", "no_change", "one_article", "ci", "preview_article"):
        assert name in result.stdout


def test_the_same_work_builds_turn_it_on_and_run_pagefind_after(tmp_path, monkeypatch):
    import compare  # noqa: E402  (bench/compare.py)
    from sitegen import search
    monkeypatch.setattr(compare, "hugo_binary", lambda: Path("/peers/hugo"))  # the peers are not installed by make test
    peers = {name: compare.PEER_CLASSES[name](tmp_path / name, {"PATH": "/usr/bin"}, None, 10)
             for name in ("hugo", "eleventy")}
    for name, peer in peers.items():
        shell, flag, command = peer.same_work_argv()
        assert (shell, flag) == ("sh", "-c")
        build, index = command.split(" && ")
        assert index.split() == [str(search.executable()), "--site", str(peer.out), "--force-language", "en",
                                 "--silent"]
        assert ("--config hugo.toml,samework.toml" in build) == (name == "hugo"), build


def test_a_comparison_that_reuses_our_run_rides_with_the_one_it_reuses():
    import compare  # noqa: E402  (bench/compare.py)
    by_name = {c.name: c for c in compare.COMPARISONS}
    cold, same, warm = by_name["cold"], by_name["cold_same"], by_name["warm"]
    assert same.reuses == "cold" and dict(same.peers) == {"eleventy": "cold_same", "hugo": "cold_same"}
    # in the order given, and whatever that order: the rider goes with cold (one run of ours for both)
    assert compare.groups([cold, same, warm]) == [(cold, (same,)), (warm, ())]
    assert compare.groups([same, warm, cold]) == [(warm, ()), (cold, (same,))]
    assert compare.groups([same, warm]) == [(same, ()), (warm, ())]  # without cold: a cold build of its own
