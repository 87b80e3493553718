"""Static search: the /search/ page, and a Pagefind index of the built pages written with the output.

Pagefind (https://pagefind.app, the `pagefind[bin]` package, which ships its Rust indexer) reads the finished HTML:
a page is indexed only when its template marks its own text with `data-pagefind-body` (article.html and role.html
do; lists, the 404 page, redirect pages and the search page do not), and `data-pagefind-meta`,
`data-pagefind-filter` and `data-pagefind-ignore` say what becomes the title, description, date and category of a
result, the filters (category, tag, role) and what is left out. The browser loads `pagefind/pagefind.js` and only the
few index chunks a query needs (static/js/search.js is the search page's own small interface).

Three entry points, each called from one hook:

- `page()`: the planned /search/ page (pages.plan);
- `search_output.OutputIndex`: the index of a one-shot build, made in a thread while the unchanged pages are linked
  and written into the staging folder before the swap (publish), so it is part of the atomic output: a failed build
  leaves the previous index with the previous pages. Each shard is keyed by the digests of its pages' bytes and
  Pagefind's version; the finished files are kept in `.sitegen-cache/search/<key>/`, so a build whose pages did not
  change does not index again, and a build into an empty output (CI with the cache restored) copies them from there;
- `search_preview.PreviewIndexer`: the preview's, which indexes in a thread of its own after the build has sent the reload, and
  swaps the new files into the served folder (serve.Preview).

Pagefind runs as its command-line program in an empty working folder (so no `pagefind.yml` of the site is read) with
no PAGEFIND_* variables (so its own configuration cannot change the output). Its Python API (`pagefind.index`) drives
the same program through a service whose client polls for each answer every 0.1 s: 4,000 pages added one by one
would take 400 s, so sitegen asks the program to read the built folder, as `add_directory` would, from a folder of
its own choosing. Pagefind's output is byte-identical for identical pages (its files are named by their content's
hash; one language is forced, so `pagefind-entry.json` has one entry) except for its filter files, whose values it
writes in a random order: pagefind_stable.py puts them in one. tests/test_search.py checks the bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import pagefind_stable
from .outpaths import unsafe_reason

BUNDLE = "pagefind"  # the index's folder in the output: /pagefind/pagefind.js
MARK = b"data-pagefind-body"
FORMAT = "sitegen-search-3"  # the layout of a cached index and how it is made (pagefind_stable)
FILES = "sitegen-files.json"  # in a cached index: every file with its size and the digest of its bytes, written last
TIMEOUT = 900  # seconds: Pagefind indexes 4,000 articles in about 12 s here
# Pagefind's own ready-made interfaces: the search page has its own (static/js/search.js), so they are not published
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


class SearchError(Exception):
    """Pagefind could not index the site; the message says why."""


# -- the page ---------------------------------------------------------------------------------------------------

def pages(assembled) -> list:
    """The /search/ page when the theme has a templates/search.html (none otherwise): a search field, results by
    JavaScript, and the category and tag lists for readers without it (in `extra`, so the page renders again when
    they change)."""
    if "search" not in assembled.layouts:
        return []
    return [page(assembled)]


def page(assembled):
    """The /search/ page itself."""
    from .model import Page
    from .pages import category_url, tag_url

    categories = sorted({a.category for a in assembled.articles})
    tags = sorted({t for a in assembled.articles for t in a.tags})
    extra = {"categories": [[name, category_url(name)] for name in categories],
             "tags": [[name, tag_url(name)] for name in tags]}
    newest = max(((a.updated or a.date) for a in assembled.articles), default=None)  # in the sitemap with them
    return Page("search/", "search/index.html", "search.html", "search", "Search",
                f"Search every article of {assembled.site.title}.", lastmod=newest, extra=extra)


# -- running Pagefind -------------------------------------------------------------------------------------------

def executable() -> Path:
    """The Pagefind program: PAGEFIND_BINARY_PATH, else the one `pagefind[bin]` installed, else one on PATH. The
    order of `pagefind.service.get_executable`, whose module is not imported for it: it brings asyncio, 40 ms of
    every build."""
    path = os.environ.get("PAGEFIND_BINARY_PATH") or None
    if path is None:
        for name in ("pagefind_bin_extended", "pagefind_bin"):
            try:
                path = importlib.import_module(name).get_executable()
                break
            except (ImportError, OSError):
                continue
    if path is None:
        path = shutil.which("pagefind_extended") or shutil.which("pagefind")
    if path is None or not Path(path).is_file():
        raise SearchError("the Pagefind program is not installed (pip install 'pagefind[bin]')")
    return Path(path)


_versions: dict[str, str] = {}
VERSIONS = "pagefind-versions.json"  # in the search cache: {program path, size and time: its version line}


def version(cache: Path | None = None) -> str:
    """Pagefind's version line (part of the index key), asked once per program file: kept in `cache` between
    builds (running the program to ask costs a tenth of a second), by its path, size and modification time."""
    exe = executable()
    st = exe.stat()
    key = f"{exe}\0{st.st_size}\0{st.st_mtime_ns}"
    if key not in _versions:
        # a script (a version manager's shim, a wrapper) can start another program without changing: only the
        # answer of a program itself is kept
        keep = cache is not None and not _is_script(exe)
        kept = _load_json(cache / VERSIONS) if keep else {}
        found = kept.get(key)
        if not isinstance(found, str) or not found:
            found = _run([str(exe), "--version"], timeout=60).strip() or f"unknown {key}"
            if keep:
                _save_json(cache / VERSIONS, {key: found})
        _versions[key] = found
    return _versions[key]


def _is_script(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"#!"
    except OSError:
        return True


def _run(argv: list[str], timeout: float, track: Callable[[subprocess.Popen | None], None] | None = None) -> str:
    """Run Pagefind in an empty working folder. `track` receives the process while it runs (and None after), so
    that its caller can stop it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
    with tempfile.TemporaryDirectory(prefix="sitegen-pagefind-") as cwd:  # no pagefind.yml/toml/json is read
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise SearchError(f"cannot run Pagefind: {exc.strerror or exc}") from None
        if track is not None:
            track(proc)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise SearchError(f"Pagefind did not finish within {timeout} s") from None
        finally:
            if track is not None:
                track(None)
    if proc.returncode != 0:
        text = (stdout + stderr).decode("utf-8", "replace").strip().splitlines()
        raise SearchError(f"Pagefind failed (exit status {proc.returncode}): {' '.join(text[-3:])[:300]}")
    return stdout.decode("utf-8", "replace")


def language(site) -> str:
    """One index for the site, in its language (Pagefind stems words for it): 'en' for 'en-GB'."""
    return (site.language or "en").split("-")[0].lower() or "en"


def marked(path: Path, rel: str) -> bool:
    """Whether the page `rel` (its file at `path`) marks text for the index. Without one such page Pagefind would
    index every page whole (or, with nothing to read, fail): a site with no such page has no index, and the search
    page says so. A page that cannot be read is an error, not an unmarked page: the answer is kept by its digest."""
    try:
        with open(path, "rb") as fh:
            return MARK in fh.read()
    except OSError as exc:
        raise SearchError(f"cannot read {rel}: {exc.strerror or exc}") from None


def index_folder(site_dir: Path, bundle: Path, lang: str, track=None) -> None:
    """Pagefind over the HTML pages of `site_dir`, its files written into `bundle` (a new folder)."""
    _run([str(executable()), "--site", str(site_dir), "--output-path", str(bundle), "--force-language", lang,
          "--glob", "**/*.html", "--silent"], timeout=TIMEOUT, track=track)
    # Pagefind writes its filter files in a random order each run: put them in one (pagefind_stable.py); should
    # that fail, the bundle stays as Pagefind wrote it, which searches the same
    pagefind_stable.stabilise(bundle, lang)
    for name in UNUSED:
        with contextlib.suppress(OSError):
            (bundle / name).unlink()


def names(bundle: Path) -> list[str]:
    """Every file of an index folder, relative and '/'-separated (none when there is no such folder)."""
    found, top = [], str(bundle)
    for root, dirs, files in os.walk(top):
        dirs.sort()
        prefix = os.path.relpath(root, top).replace(os.sep, "/") + "/" if root != top else ""
        found += [prefix + name for name in sorted(files)]
    return [rel for rel in found if rel != FILES]


def listing(bundle: Path) -> dict[str, list]:
    """Every file of an index folder (relative, '/'-separated) with its size and the digest of its bytes."""
    found = {}
    for rel in names(bundle):
        data = (bundle / rel).read_bytes()
        found[rel] = [len(data), hashlib.blake2b(data, digest_size=16).hexdigest()]
    return found


# -- shards: one Pagefind run per group of pages ----------------------------------------------------------------

# Pages per shard: only pages that mark text for the index are sharded. An edit re-indexes its shard (Pagefind takes
# about 2.8 ms a page here), and a Pagefind run holds its whole index in memory: measured 151 MB for 400 article
# pages, 603 MB for 1,600. A merged shard costs a query little: Pagefind's mergeIndex reuses the first bundle's
# WebAssembly, so each shard adds its entry and meta files and a chunk per word (the meta and filter bytes of the
# whole index are the same however many shards share them).
SHARD_PAGES = 250  # while there are at most PREFERRED_SHARDS of them (an edit re-indexes ~0.7 s of pages)
PREFERRED_SHARDS = 16  # past 4,000 pages shards grow ...
MAX_SHARD_PAGES = 1500  # ... to this size, then their number grows: a run stays under about 0.6 GB at any size
PARALLEL_PAGES = 800  # shards this small are made `jobs` at a time; larger ones one at a time (memory, not time)
CATALOGUE = "bundles.json"  # {"bundles": ["0/", "1/", ...]}: the shards the search page loads and merges
MARKS = "marks.json"  # in the search cache: {digest of a page's bytes: whether it marks text for the index}


def shard_count(pages: int) -> int:
    """How many shards `pages` indexed pages go into."""
    size = int(os.environ.get("SITEGEN_SEARCH_SHARD_PAGES", "") or SHARD_PAGES)  # for tests and tuning
    return max(1, min(PREFERRED_SHARDS, math.ceil(pages / max(1, size))), math.ceil(pages / MAX_SHARD_PAGES))


def shard_of(rel: str, count: int) -> int:
    """A page's shard: by a hash of its path, so it stays in its shard while others come and go."""
    return int.from_bytes(hashlib.blake2b(rel.encode("utf-8"), digest_size=8).digest(), "big") % count


def shard_key(lang: str, count: int, number: int, pages: list[tuple[str, str]], pagefind: str) -> str:
    """What a shard's index is made from: its pages' paths and digests of their bytes, the language, Pagefind's
    version and this module's format. Equal keys, equal index."""
    h = hashlib.blake2b(repr((FORMAT, pagefind, lang, count, number)).encode(), digest_size=16)
    for rel, digest in pages:
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def build_index(source: Path | Callable[[str], Path], pages: dict[str, str], lang: str, cache: Path, jobs: int = 1,
                track=None) -> dict[str, Path]:
    """The index of the HTML `pages` (relative path -> digest of its bytes) of the folder `source`, or found where
    `source(rel)` says: one Pagefind bundle per shard, taken from `cache` when its key is there, else made now
    (`jobs` at a time while they are small) and kept there. Only pages that mark text for the index are sharded.
    Returns the shards' folder names in the output ("0/", ...) with their bundles."""
    locate = source if callable(source) else (lambda rel, folder=source: folder / rel)
    cache.mkdir(parents=True, exist_ok=True)
    # whether a page is marked is a matter of its bytes: kept by their digest, so a build reads only new pages
    known = {k: v for k, v in _load_json(cache / MARKS).items() if isinstance(v, bool)}
    unseen = [rel for rel in sorted(pages) if pages[rel] not in known]
    for rel in unseen:
        known[pages[rel]] = marked(locate(rel), rel)
    if unseen:
        _save_json(cache / MARKS, {pages[rel]: known[pages[rel]] for rel in pages})
    indexed = [rel for rel in sorted(pages) if known[pages[rel]]]
    count = shard_count(len(indexed))
    groups: dict[int, list[str]] = {}
    for rel in indexed:
        groups.setdefault(shard_of(rel, count), []).append(rel)
    pagefind = version(cache)
    keys = {n: shard_key(lang, count, n, [(rel, pages[rel]) for rel in group], pagefind)
            for n, group in groups.items()}
    recorded = {n: _valid(cache / keys[n]) for n in sorted(keys)}
    todo = [n for n in sorted(keys) if recorded[n] is None]
    if todo:
        parallel = jobs if max(len(groups[n]) for n in todo) <= PARALLEL_PAGES else 1
        with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(todo)))) as pool:
            for done in pool.map(lambda n: _make_shard(locate, groups[n], cache, keys[n], lang, track), todo):
                pass
    wanted = set(keys.values()) | {MARKS, VERSIONS}
    for old in cache.iterdir():  # keep the shards just used and nothing older: an index can be 20 MB
        if old.name not in wanted:
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
    return {f"{n}/": cache / keys[n] for n in sorted(keys)}


def _load_json(path: Path) -> dict:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_json(path: Path, value: dict) -> None:
    """Written whole under a name of its own, then renamed: two builds sharing the cache never meet in one file."""
    fd, temp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(value, sort_keys=True, separators=(",", ":")))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _make_shard(locate: Callable[[str], Path], group: list[str], cache: Path, key: str, lang: str, track) -> None:
    """Pagefind over the shard's pages, all of which mark text for the index (`group`; hard links in a folder of
    their own, at their paths), into cache/key. Pages without the mark are in no shard: once one page has it,
    Pagefind skips every page without it, so the index is the same, and a site with no marked page has no shard."""
    bundle = cache / key
    shutil.rmtree(bundle, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=f"{key}.tmp-", dir=cache))
    try:
        site, made = work / "site", work / "bundle"
        for rel in group:
            target = site / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(locate(rel), target)
            except OSError:
                shutil.copyfile(locate(rel), target)
        index_folder(site, made, lang, track=track)
        (made / FILES).write_text(json.dumps(listing(made), sort_keys=True), encoding="utf-8")
        os.replace(made, bundle)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _recorded(bundle: Path) -> dict[str, list] | None:
    """A bundle's record of its files (FILES); None when it is missing or names a path outside the bundle."""
    try:
        recorded = json.loads((bundle / FILES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or any(unsafe_reason(rel) is not None for rel in recorded):
        return None
    return recorded


def _valid(bundle: Path) -> dict[str, list] | None:
    """A cached bundle's files, when its record is there and every file it records is there with its size. A
    bundle is written in a folder of its own and renamed into place whole, so a file is never half-written: the
    sizes catch a file truncated or replaced by hand without reading 4,000 of them on every build."""
    recorded = _recorded(bundle)
    if recorded is None:
        return None
    try:
        if any(os.stat(bundle / rel).st_size != size for rel, (size, _digest) in recorded.items()):
            return None
    except (OSError, ValueError, TypeError):
        return None
    return recorded


def catalogue(shards: dict[str, Path]) -> bytes:
    return json.dumps({"bundles": list(shards)}, separators=(",", ":")).encode("utf-8") + b"\n"


def index_files(shards: dict[str, Path]) -> dict[str, Path]:
    """Every file of the index as it goes into the output: output path -> the cached file."""
    files = {}
    for folder, bundle in shards.items():
        recorded = _recorded(bundle)
        for rel in sorted(recorded) if recorded is not None else names(bundle):
            files[f"{BUNDLE}/{folder}{rel}"] = bundle / rel
    return files
