"""Where a site's parts are, and its static files under their published (fingerprinted) names."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem
from .sources import discover
from .outpaths import unsafe_reason

CACHE_DIR = ".sitegen-cache"


@dataclass(frozen=True)
class SitePaths:
    root: Path
    out: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def static(self) -> Path:
        return self.root / "static"

    @property
    def cache(self) -> Path:
        return self.root / CACHE_DIR


def asset_problems(assets: dict[str, tuple[str, Path]]) -> list[Problem]:
    """A static file whose name cannot be published as it is (a backslash, a control character ...)."""
    return [Problem(f"static/{rel}", 1, f"this file cannot be published under its name: {reason}")
            for rel, (out, _source) in assets.items() if (reason := unsafe_reason(out)) is not None]


def fingerprint(paths: SitePaths, enabled: bool = True, skip=None) -> dict[str, tuple[str, Path]]:
    """static/css/site.css -> ('static/css/site.1a2b3c4d5e.css', source path): names change when content does.
    `skip(rel)`: files not copied as they are (the images published as variants: images.is_raster)."""
    assets = {}
    for path in discover(paths.static):
        rel = path.relative_to(paths.static).as_posix()
        if skip is not None and skip(rel):
            continue
        if not enabled:
            assets[rel] = (f"static/{rel}", path)
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        stem, dot, suffix = rel.rpartition(".")
        name = f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{rel}.{digest}"
        assets[rel] = (f"static/{name}", path)
    return assets
