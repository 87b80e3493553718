"""What each output page read, recorded while it renders, and the signature that says whether it must render again.

The render records templates as Jinja loads them (extends, include, import, the page's own, each component it
calls) and data keys as templates and components look them up in `data` (`data.roles["ai-engineer"]` records
'roles/ai-engineer'; iterating or counting `data.roles`, or reading a file whose value is not a mapping, records
'roles/', the whole file); a page's articles are explicit in its plan (Page.refs). A page's signature hashes all
of that plus the site settings and the asset names. If a page's signature equals the one stored for its file by
the previous build, its bytes would be the same, so it is not rendered again. A new template include or data
lookup changes a file that the page already read, so the recording stays exact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from . import __version__
from .model import Article, Page, Site, data_key, shown



@dataclass
class Deps:
    templates: set[str] = field(default_factory=set)
    data: set[str] = field(default_factory=set)  # model.data_key()s

    def frozen(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(sorted(self.templates)), tuple(sorted(self.data))


class RecordingData(Mapping):
    """`data` as templates and components see it: folders and files by name; each file's mapping records every
    key looked up in the Deps of the page being rendered (`current()`). A lookup that finds nothing is recorded
    too (the key may appear later) and remembered in `misses`, for the message of the error it leads to."""

    def __init__(self, tree: dict, files: frozenset[str], current: Callable[[], Deps], prefix: str = "",
                 misses: list | None = None):
        self._tree = tree
        self._files = files
        self._current = current
        self._prefix = prefix
        self.misses = misses if misses is not None else []

    def __getitem__(self, key: str) -> Any:
        name = self._prefix + str(key)
        if key not in self._tree:
            self._current().data.add(data_key(name))
            self.misses.append(f"data.{name}")
            raise KeyError(key)
        value = self._tree[key]
        if name not in self._files:  # a folder of data files
            return RecordingData(value, self._files, self._current, name + ".", self.misses)
        if isinstance(value, dict):
            return RecordingRecords(value, name, self._current, self.misses)
        self._current().data.add(data_key(name))
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._tree)

    def __len__(self) -> int:
        return len(self._tree)

    def __repr__(self) -> str:
        return f"data.{self._prefix}".rstrip(".")


class RecordingRecords(Mapping):
    """One data file's mapping: `[key]` and `in` record that key, iterating or counting records the whole file."""

    def __init__(self, value: dict, name: str, current: Callable[[], Deps], misses: list):
        self._value = value
        self._name = name
        self._current = current
        self._misses = misses

    def __getitem__(self, key: str) -> Any:
        self._current().data.add(data_key(self._name, str(key)))
        if key not in self._value:
            self._misses.append(f"data.{self._name}[{str(key)!r}]")
        return self._value[key]

    def __contains__(self, key: object) -> bool:
        self._current().data.add(data_key(self._name, str(key)))
        return key in self._value

    def __iter__(self) -> Iterator[str]:
        self._current().data.add(data_key(self._name))
        return iter(self._value)

    def __len__(self) -> int:
        self._current().data.add(data_key(self._name))
        return len(self._value)

    def __repr__(self) -> str:
        return f"data.{self._name}"


def recording(dataset, current: Callable[[], Deps]) -> RecordingData:
    return RecordingData(dataset.tree, frozenset(dataset.files), current)


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

    def __init__(self, site: Site, dataset, templates_dir: Path, assets: dict[str, str], images=()):
        # `images`: each image's variant files (images.ImageSet.names): a page that shows one reads their names
        self.base = _digest(__version__, site, sorted(assets.items()), list(images))
        self.words_per_minute = site.words_per_minute
        self.dataset = dataset
        self._data: dict[str, str] = {}
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

    def data(self, key: str) -> str:
        """The digest of what a recorded data key reads: one record, or a whole file ('name/')."""
        known = self._data.get(key)
        if known is None:
            name, _, record = key.partition("/")
            found = self.dataset.get(name)
            if found is None:
                known = "missing"
            elif not record:
                known = _digest(found.value)
            elif isinstance(found.value, dict) and record in found.value:
                known = _digest(found.value[record])
            else:
                known = "missing"
            self._data[key] = known
        return known

    @property
    def data_ident(self) -> str:
        return _digest(sorted((name, self.data(data_key(name))) for name in self.dataset.files))

    def summary(self, article: Article) -> str:
        if article.key not in self._summaries:
            self._summaries[article.key] = _digest(shown(article, self.words_per_minute))
        return self._summaries[article.key]

    def signature(self, page: Page, templates: tuple[str, ...], data: tuple[str, ...]) -> str:
        """Computed once per page and recorded reads: planning asks with the last build's, the render's result
        usually brings the same again."""
        key = (page.output, templates, data)
        known = self._signatures.get(key)
        if known is None or known[0] is not page:
            known = self._signatures[key] = (page, self._signature(page, templates, data))
        return known[1]

    def _signature(self, page: Page, templates: tuple[str, ...], data: tuple[str, ...]) -> str:
        full, summarised = page.refs()
        return _digest(
            self.base, page.url, page.output, page.template, page.kind, page.title, page.description, page.lastmod,
            page.record, self.data(page.record) if page.record else None, sorted(page.extra.items()),
            [a.key for a in full], [self.summary(a) for a in summarised],
            [(t, self.template(t)) for t in templates], [(k, self.data(k)) for k in data],
        )


@dataclass(frozen=True)
class Entry:
    signature: str
    digest: str  # of the file's bytes
    templates: tuple[str, ...]
    data: tuple[str, ...]


class Manifest:
    """The previous build's entries for one output folder, kept beside the article store."""

    FORMAT = "sitegen-manifest-3"

    def __init__(self, path: Path | None, entries: dict[str, Entry] | None = None, stamp: str = "",
                 counts: tuple[int, int] = (0, 0)):
        self.path = path
        self.entries = entries or {}
        self.stamp = stamp  # the sources' names, sizes and times when the output was last written
        self.counts = counts  # the pages and static files it holds (as the build that wrote it counted them)

    @classmethod
    def load(cls, path: Path | None) -> "Manifest":
        if path is None or not path.is_file():
            return cls(path)
        try:
            data = orjson.loads(path.read_bytes())
            if data.get("format") != cls.FORMAT:
                return cls(path)
            names: dict = {}  # the same few template names and data keys recur on every page: share them
            share = lambda values: tuple(names.setdefault(v, v) for v in values)  # noqa: E731
            entries = {out: Entry(sig, dig, share(t), share(r)) for out, (sig, dig, t, r) in data["pages"].items()}
            stamp = str(data.get("stamp", ""))
            pages, files = data["counts"]
            counts = (int(pages), int(files))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cls(path)  # corrupt or foreign: rebuild everything
        return cls(path, entries, stamp, counts)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": self.FORMAT, "stamp": self.stamp, "counts": list(self.counts),
                "pages": {out: [e.signature, e.digest, list(e.templates), list(e.data)] for out, e in sorted(self.entries.items())}}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(data))
        tmp.replace(self.path)
