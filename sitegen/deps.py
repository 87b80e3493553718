"""What each output page read, recorded while it renders, and the signature that says whether it must render again.

The render records templates as Jinja loads them (extends, include, import, the page's own) and role ids as
templates and components look them up; a page's articles are explicit in its plan (Page.refs). A page's
signature hashes all of that plus the site settings and the asset names. If a page's signature equals the one
stored for its file by the previous build, its bytes would be the same, so it is not rendered again. A new
template include or role lookup changes a file that the page already read, so the recording stays exact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from . import __version__
from .model import Article, Page, Role, Site, shown

ALL = "*"


@dataclass
class Deps:
    templates: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)

    def frozen(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(sorted(self.templates)), tuple(sorted(self.roles))


class RecordingRoles(Mapping):
    """The roles mapping as templates and components see it: every lookup is recorded in the current Deps."""

    def __init__(self, roles: dict[str, Role], current):
        self._roles = roles
        self._current = current  # a callable returning the Deps of the page being rendered

    def __getitem__(self, key: str) -> Role:
        self._current().roles.add(key)
        return self._roles[key]

    def __contains__(self, key: object) -> bool:
        self._current().roles.add(str(key))
        return key in self._roles

    def __iter__(self) -> Iterator[str]:
        self._current().roles.add(ALL)
        return iter(self._roles)

    def __len__(self) -> int:
        self._current().roles.add(ALL)
        return len(self._roles)


def _digest(*parts: object) -> str:
    """A digest of what a page reads. orjson writes the parts (dates, dataclasses and all) in a third of repr()'s
    time; what it does not know goes through repr(), and an integer beyond 64 bits makes the whole a repr()."""
    try:
        data = orjson.dumps(parts, default=repr, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        data = repr(parts).encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Fingerprints:
    """Digests of everything a page can read, computed once per build."""

    def __init__(self, site: Site, roles: dict[str, Role], templates_dir: Path, assets: dict[str, str]):
        self.base = _digest(__version__, site, sorted(assets.items()))
        self.words_per_minute = site.words_per_minute
        self.roles = {rid: _digest(role) for rid, role in roles.items()}
        self.roles[ALL] = _digest(sorted(self.roles.items()))
        self.templates_dir = templates_dir
        self._templates: dict[str, str] = {}
        self._summaries: dict[str, str] = {}
        self._signatures: dict[tuple, tuple[Page, str]] = {}

    def template(self, name: str) -> str:
        if name not in self._templates:
            try:
                self._templates[name] = hashlib.blake2b((self.templates_dir / name).read_bytes(), digest_size=16).hexdigest()
            except OSError:
                self._templates[name] = "missing"
        return self._templates[name]

    def summary(self, article: Article) -> str:
        if article.key not in self._summaries:
            self._summaries[article.key] = _digest(shown(article, self.words_per_minute))
        return self._summaries[article.key]

    def signature(self, page: Page, templates: tuple[str, ...], roles: tuple[str, ...]) -> str:
        """Computed once per page and recorded reads: planning asks with the last build's, the render's result
        usually brings the same again."""
        key = (page.output, templates, roles)
        known = self._signatures.get(key)
        if known is None or known[0] is not page:
            known = self._signatures[key] = (page, self._signature(page, templates, roles))
        return known[1]

    def _signature(self, page: Page, templates: tuple[str, ...], roles: tuple[str, ...]) -> str:
        full, summarised = page.refs()
        return _digest(
            self.base, page.url, page.output, page.template, page.kind, page.title, page.description, page.lastmod,
            page.role, sorted(page.extra.items()),
            [a.key for a in full], [self.summary(a) for a in summarised],
            [(t, self.template(t)) for t in templates], [(r, self.roles.get(r, "missing")) for r in roles],
        )


@dataclass(frozen=True)
class Entry:
    signature: str
    digest: str  # of the file's bytes
    templates: tuple[str, ...]
    roles: tuple[str, ...]


class Manifest:
    """The previous build's entries for one output folder, kept beside the article store."""

    FORMAT = "sitegen-manifest-1"

    def __init__(self, path: Path | None, entries: dict[str, Entry] | None = None, stamp: str = ""):
        self.path = path
        self.entries = entries or {}
        self.stamp = stamp  # the sources' names, sizes and times when the output was last written

    @classmethod
    def load(cls, path: Path | None) -> "Manifest":
        if path is None or not path.is_file():
            return cls(path)
        try:
            data = orjson.loads(path.read_bytes())
            if data.get("format") != cls.FORMAT:
                return cls(path)
            names: dict = {}  # the same few template names and role ids recur on every page: share them
            share = lambda values: tuple(names.setdefault(v, v) for v in values)  # noqa: E731
            entries = {out: Entry(sig, dig, share(t), share(r)) for out, (sig, dig, t, r) in data["pages"].items()}
            stamp = str(data.get("stamp", ""))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cls(path)  # corrupt or foreign: rebuild everything
        return cls(path, entries, stamp)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": self.FORMAT, "stamp": self.stamp,
                "pages": {out: [e.signature, e.digest, list(e.templates), list(e.roles)] for out, e in sorted(self.entries.items())}}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(data))
        tmp.replace(self.path)
