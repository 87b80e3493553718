#!/usr/bin/env python3
"""Convert a generated bench site (bench/generate.py) into the same site for Hugo, Eleventy 3 and Pelican.

    python bench/peers/convert.py --site bench/sites/n4000 --out bench/sites/n4000-peers

Writes OUT/hugo/, OUT/eleventy/ and OUT/pelican/. Each gets the same article bodies and front matter and a minimal
theme from bench/peers/themes/<peer>/. Only the components' syntax differs, because each peer has its own:

- Hugo: `{{ salary("x") }}` becomes the shortcode `{{< salary "x" >}}` (layouts/_shortcodes/ read site.Data.roles,
  which is data/roles.yaml as it is). The front matter is the same YAML.
- Eleventy: `{{ salary("x") }}` becomes the Nunjucks shortcode `{% salary "x" %}` (eleventy.config.mjs registers
  them with addShortcode; they read _data/roles.yaml, the same file). The front matter is the same YAML.
- Pelican has no shortcodes: every component is replaced by its text or HTML before the file is written, and the
  front matter is written as Pelican's `Key: value` metadata (its Markdown reader does not read YAML), same values.

Stdlib only, plus PyYAML (sitegen's venv has it) to read data/roles.yaml for Pelican's substitution.
A stamp (.bench-peers.json) records the source site's stamp and this converter's files: an unchanged pair is reused.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
THEMES = HERE / "themes"
STAMP = ".bench-peers.json"
PEERS = ("hugo", "eleventy", "pelican")
COMPONENT = re.compile(r"\{\{\s*([a-z_]+)\(([^)]*)\)\s*\}\}")
ARG = re.compile(r'"([^"]*)"')
SITE_TITLE = "Hiring Insights"
BASE_URL = "https://blog.example.com/"


def split_front_matter(text: str) -> tuple[str, str]:
    """('---\\n...\\n---\\n', body) of a generated article."""
    end = text.index("\n---\n", 4) + 5
    return text[:end], text[end:]


# -- Hugo ------------------------------------------------------------------------------------------------------

def hugo_body(body: str) -> str:
    def sub(m: re.Match) -> str:
        args = " ".join(f'"{a}"' for a in ARG.findall(m.group(2)))
        return "{{< " + m.group(1) + (" " + args if args else "") + " >}}"
    return COMPONENT.sub(sub, body)


# -- Eleventy --------------------------------------------------------------------------------------------------

def eleventy_body(body: str) -> str:
    def sub(m: re.Match) -> str:
        args = ", ".join(f'"{a}"' for a in ARG.findall(m.group(2)))
        return "{% " + m.group(1) + (" " + args if args else "") + " %}"
    return COMPONENT.sub(sub, body)


# -- Pelican ---------------------------------------------------------------------------------------------------

def money(amount: int) -> str:
    """sitegen's formats.money for USD: 205000 -> '~$205K'."""
    amount = abs(int(amount))
    if amount >= 1_000_000:
        return "~$" + f"{amount / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
    if amount >= 1_000:
        return f"~${round(amount / 1_000):,}K"
    return f"~${amount:,}"


class PelicanComponents:
    """The components' output as text (inline ones) or HTML (block ones), from data/roles.yaml."""

    def __init__(self, roles: dict):
        self.roles = roles

    def inline(self, name: str, args: list[str]) -> str | None:
        r = self.roles
        if name == "salary":
            return money(r[args[0]]["salary"]["median_base"])
        if name == "postings":
            return f"{int(r[args[0]]['job_postings']):,}"
        if name == "salary_gap":
            return money(r[args[0]]["salary"]["median_base"] - r[args[1]]["salary"]["median_base"])
        if name == "role":
            return str(r[args[0]].get(args[1], ""))
        return None

    def block(self, name: str, args: list[str], meta: dict) -> str:
        e = html.escape
        r = self.roles
        if name in ("responsibilities", "skills"):
            items = "\n".join(f"<li><strong>{e(i['name'])}:</strong> {e(i['detail'])}</li>" for i in r[args[0]][name])
            return f'<ul class="role-items role-items--{name}">\n{items}\n</ul>'
        if name == "salary_table":
            ids = args or meta["roles"]
            first = r[ids[0]]
            rows = "\n".join(f'<tr><th scope="row">{e(r[i]["title"])}</th><td>{money(r[i]["salary"]["median_base"])}</td>'
                             f'<td>{int(r[i]["job_postings"]):,}</td></tr>' for i in ids)
            return ('<div class="table-scroll"><table class="salary-table">\n<caption>Median base salary and active job '
                    f'postings (as of {first["as_of"]}; source: {e(first["source"])})</caption>\n<thead><tr><th scope="col">'
                    'Role</th><th scope="col">Median base salary</th><th scope="col">Active job postings</th></tr></thead>\n'
                    f'<tbody>\n{rows}\n</tbody></table></div>')
        if name == "quick_answer":
            answer = self.substitute_inline(meta["quick_answer"])
            figures = "\n".join(f'<div><dt>{e(r[i]["title"])}</dt><dd>{money(r[i]["salary"]["median_base"])} median base</dd></div>'
                                for i in meta["roles"])
            return (f'<aside class="quick-answer"><h2 class="quick-answer__title">Quick answer</h2>\n<p>{e(answer)}</p>\n'
                    f'<dl class="quick-answer__figures">\n{figures}\n</dl></aside>')
        raise ValueError(f"unknown component {name}()")

    def substitute_inline(self, text: str) -> str:
        def sub(m: re.Match) -> str:
            value = self.inline(m.group(1), ARG.findall(m.group(2)))
            if value is None:
                raise ValueError(f"{m.group(0)} is a block component inside a sentence")
            return value
        return COMPONENT.sub(sub, text)

    def body(self, body: str, meta: dict) -> str:
        def sub(m: re.Match) -> str:
            args = ARG.findall(m.group(2))
            value = self.inline(m.group(1), args)
            return value if value is not None else self.block(m.group(1), args, meta)
        return COMPONENT.sub(sub, body)


def pelican_article(text: str, slug: str, components: PelicanComponents, yaml_load) -> str:
    front, body = split_front_matter(text)
    meta = yaml_load(front.strip().strip("-"))
    lines = [
        f"Title: {meta['title']}",
        f"Date: {meta['date'].isoformat()}",
        f"Category: {meta['category']}",
        f"Tags: {', '.join(meta.get('tags', []))}",
        f"Slug: {slug}",
        f"Summary: {meta['description']}",
        f"Roles: {', '.join(meta.get('roles', []))}",
        f"Quick_answer: {components.substitute_inline(meta.get('quick_answer', ''))}",
    ]
    return "\n".join(lines) + "\n\n" + components.body(body, meta)


# -- the whole site --------------------------------------------------------------------------------------------

def converter_digest() -> str:
    h = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(p for p in THEMES.rglob("*") if p.is_file()):
        h.update(path.relative_to(THEMES).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def wanted_stamp(site: Path) -> dict:
    source = json.loads((site / ".bench-site.json").read_text(encoding="utf-8"))
    return {"source": source.get("content"), "converter": converter_digest()}


def is_current(site: Path, out: Path) -> bool:
    try:
        return json.loads((out / STAMP).read_text(encoding="utf-8")) == wanted_stamp(site)
    except (OSError, ValueError):
        return False


def _fresh(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def peer_roles(text: str) -> str:
    """data/roles.yaml as the peers' themes read it: the same records under a `roles:` key (site.Data.roles.roles
    in Hugo, roles_data.roles in Eleventy)."""
    return "roles:\n" + "".join(f"  {line}" if line.strip() else line for line in text.splitlines(keepends=True))


def convert(site: Path, out: Path, node_modules: Path | None = None) -> dict:
    """Write OUT/hugo, OUT/eleventy, OUT/pelican from SITE. Returns {peer: number of articles}."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def yaml_load(text: str):
        return yaml.load(text, Loader=loader)

    site, out = Path(site), Path(out)
    if out.exists() and any(out.iterdir()) and not (out / STAMP).exists():
        sys.exit(f"error: refusing to replace {out}: it has no {STAMP} (not made by bench/peers/convert.py)")
    out.mkdir(parents=True, exist_ok=True)
    (out / STAMP).unlink(missing_ok=True)  # written last: an interrupted conversion is redone
    roles_text = (site / "data" / "roles.yaml").read_text(encoding="utf-8")
    components = PelicanComponents(yaml_load(roles_text))
    roles_text = peer_roles(roles_text)
    articles = sorted((site / "content").glob("*.md"))

    hugo, eleventy, pelican = out / "hugo", out / "eleventy", out / "pelican"
    for folder in (hugo, eleventy, pelican):
        _fresh(folder)
    shutil.copytree(THEMES / "hugo", hugo, dirs_exist_ok=True)
    shutil.copytree(THEMES / "eleventy", eleventy, dirs_exist_ok=True)
    shutil.copytree(THEMES / "pelican", pelican, dirs_exist_ok=True)
    for path in (hugo / "data" / "roles.yaml", eleventy / "_data" / "roles_data.yaml"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(roles_text, encoding="utf-8")
    for folder in (hugo / "content" / "blog", eleventy / "blog", pelican / "content"):
        folder.mkdir(parents=True, exist_ok=True)
    if node_modules is not None:
        os.symlink(node_modules.resolve(), eleventy / "node_modules", target_is_directory=True)

    for path in articles:
        text = path.read_text(encoding="utf-8")
        front, body = split_front_matter(text)
        (hugo / "content" / "blog" / path.name).write_text(front + hugo_body(body), encoding="utf-8")
        (eleventy / "blog" / path.name).write_text(front + eleventy_body(body), encoding="utf-8")
        (pelican / "content" / path.name).write_text(pelican_article(text, path.stem, components, yaml_load),
                                                    encoding="utf-8")
    images = site / "bench-images"  # the lead images (one article in ten): each peer publishes them as they are
    if images.is_dir():
        for target in (hugo / "static" / "images", eleventy / "images", pelican / "content" / "images"):
            shutil.copytree(images, target, dirs_exist_ok=True)
    # the social card's logo and fonts, for the same-work comparison's cards (Eleventy's SVG names the font: librsvg
    # finds DejaVu Sans through fontconfig, among the system's fonts)
    cards = site / "templates" / "cards"
    for folder, names in ((hugo / "assets" / "cards", ("logo.png", "fonts/DejaVuSans-Bold.ttf", "fonts/DejaVuSans.ttf")),
                          (eleventy / "_card", ("logo.png",))):
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy2(cards / name, folder / Path(name).name)
    (out / STAMP).write_text(json.dumps(wanted_stamp(site), indent=2) + "\n", encoding="utf-8")
    return {peer: len(articles) for peer in PEERS}


def ensure(site: Path, out: Path, node_modules: Path | None = None) -> bool:
    """Convert when the source site or the converter changed. True when it converted."""
    if is_current(site, out) and (node_modules is None or (out / "eleventy" / "node_modules").exists()):
        return False
    convert(site, out, node_modules)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Convert a generated bench site for Hugo, Eleventy and Pelican.")
    parser.add_argument("--site", type=Path, required=True, help="a site made by bench/generate.py")
    parser.add_argument("--out", type=Path, required=True, help="folder for hugo/, eleventy/ and pelican/")
    parser.add_argument("--node-modules", type=Path, default=HERE / "node_modules",
                        help="linked into the Eleventy site (default: bench/peers/node_modules)")
    args = parser.parse_args(argv)
    counts = convert(args.site, args.out, args.node_modules if args.node_modules.exists() else None)
    print(f"converted {counts['hugo']} articles into {args.out}/{{hugo,eleventy,pelican}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
