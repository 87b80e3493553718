"""The persistent cache (`.sitegen-cache/store.sqlite`): one SQLite file, one class for each thing it keeps.

- `ArticleStore`: converted articles by key, so a warm build converts nothing. Keys are digests of (sitegen
  version, Markdown configuration, front-matter schema, path, source bytes): an edited article, a new extension
  setting or a new release of sitegen simply misses. Values are JSON and LZ4, never pickle, and each row carries a
  digest of its record and body, so a foreign or corrupt row is ignored and rebuilt, never trusted. Bodies (HTML)
  stay on disk; the build keeps only article metadata in memory. Beside the full record, a row keeps the slim
  article (content.slim) with its own problems for one set of rules (assemble.Rules.ident): a one-shot build loads and checks cached
  articles from that alone. `Writer` and `Reader` are the worker processes' connections to it.
- `ValidData`: data files found valid (yamlutil.validity_key), so they are not validated again.
- `RelatedMemo`: the last related reading worked out (assemble.related_key).
- `ImageMemo`: image headers (size, format, animation) by the digest of the image's bytes (images.ImageSet.scan),
  so a warm build opens no image.
- `PageStore`: rendered pages by the digest of their bytes (filled by the render workers), so a build into an empty
  output writes the pages whose signature is unchanged instead of rendering them; `Reader.page` checks each one.

- `products`: what a producer made (render.PRODUCERS: a social card's PNG) by the digest of its inputs -> the digest
  of its bytes in `pages`; so a page whose signature changed but whose drawn inputs did not is not drawn again.
  Pruned with the pages it points to.

`Cache` opens the file and holds the four; with --no-cache it is a temporary file, deleted at close.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from pathlib import Path

import lz4.block
import orjson

from . import __version__
from .assemble import Rules, checked_slim
from .content import from_record, kind_of, slim, to_record
from .schemas import Schemas
from .errors import Problem
from .markdown_ext import config_fingerprint
from .model import Article, Body

FORMAT = "sitegen-store-7"
Checks = dict[str, tuple[Article, list[Problem]]]  # article key -> assemble.checked_slim() of it, when known
# what a stored article depends on besides its bytes: the Markdown configuration and the front-matter schema
_SALT = f"{FORMAT}\0{__version__}\0{config_fingerprint()}\0".encode()


def article_key(path: str, data: bytes, schemas: Schemas | None = None) -> str:
    """The store's key of an article: its path and bytes, the converter, and the schema of its front matter (it
    decides which fields are Markdown and which name data)."""
    schema = (schemas or Schemas({}, [])).get(kind_of(path))
    return hashlib.blake2b(_SALT + schema.text + b"\0" + path.encode() + b"\0" + data, digest_size=20).hexdigest()


def _pack(value) -> bytes:
    # compact UTF-8 JSON (what json.dumps(separators=(",", ":")) writes), LZ4 with its size first: a tenth of zlib's
    # time to pack and a quarter to unpack, for 40 % more bytes (5.7 KB an article against 4.1 KB)
    return lz4.block.compress(orjson.dumps(value))


MAX_RATIO = 255  # LZ4 cannot expand more than this: a size header above it is damage, not data to allocate for


def _decompress(blob: bytes) -> bytes:
    """An LZ4 block of ours; a damaged one raises ValueError (lz4's LZ4BlockError is turned into one)."""
    if len(blob) < 4 or int.from_bytes(blob[:4], "little") > MAX_RATIO * len(blob):
        raise ValueError("not an LZ4 block of ours")
    try:
        return lz4.block.decompress(blob)
    except lz4.block.LZ4BlockError as exc:
        raise ValueError(str(exc)) from None


def _unpack(blob: bytes):
    """A stored value; a damaged one raises ValueError."""
    return orjson.loads(_decompress(blob))  # malformed JSON raises orjson.JSONDecodeError, a ValueError


def _delete_all_but(db: sqlite3.Connection, table: str, column: str, keep: set[str]) -> None:
    """Delete the rows of `table` whose `column` is not in `keep` (one transaction)."""
    stale = [(k,) for (k,) in db.execute(f"SELECT {column} FROM {table}") if k not in keep]
    if stale:
        with db:
            db.execute("BEGIN")
            db.executemany(f"DELETE FROM {table} WHERE {column}=?", stale)


class Cache:
    """The cache file, opened once, and its parts: `articles`, `valid`, `related`."""

    def __init__(self, path: Path | None):
        self.temporary = path is None
        if path is None:
            handle, name = tempfile.mkstemp(prefix="sitegen-store-", suffix=".sqlite")
            os.close(handle)
            path = Path(name)
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:
            self._discard_file()  # not ours, another format, or corrupt: start afresh
            self.db = self._open()
        self.articles = ArticleStore(self.db)
        self.valid = ValidData(self.db)
        self.related = RelatedMemo(self.db)
        self.pages = PageStore(self.db)
        self.images = ImageMemo(self.db)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)  # one build at a time
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE name='format'").fetchone()
            if row is not None and row[0] != FORMAT:
                raise sqlite3.DatabaseError(f"store format {row[0]!r}")
            for part in (ArticleStore, ValidData, RelatedMemo, PageStore, ImageMemo):
                db.execute(part.TABLE)
            db.execute(PageStore.PRODUCTS)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _discard_file(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(str(self.path) + suffix)
            except FileNotFoundError:
                pass

    def prune(self, keep: set[str]) -> None:
        """Forget articles no longer in the site and data no longer read, so the file does not grow forever."""
        self.articles.prune(keep)
        self.valid.prune()

    def close(self) -> None:
        self.db.close()
        if self.temporary:
            self._discard_file()


class ArticleStore:
    """Converted articles by article_key(): the record, the body and the slim record checked for one set of role
    ids."""

    # `digest`: of record and body, so a damaged row is a miss; `checked`: the slim record (content.slim) with its own
    # problems for one set of rules (assemble.Rules.ident), so a one-shot build need not decode the record
    TABLE = "CREATE TABLE IF NOT EXISTS articles (key TEXT PRIMARY KEY, digest TEXT, checked BLOB, record BLOB, body BLOB)"

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def get(self, keys: list[str], each=None) -> dict[str, Article]:
        """The cached Articles among `keys`, each passed through `each` as it is read; a damaged row is a miss."""
        found: dict[str, Article] = {}
        for chunk, marks in _chunks(keys):
            rows = self.db.execute(f"SELECT key, digest, record, body FROM articles WHERE key IN ({marks})", chunk)
            for key, digest, record, body in rows:
                try:
                    if digest != _blobs_digest(record, body):
                        continue
                    article = from_record(_unpack(record), key)
                except (ValueError, TypeError, KeyError):
                    continue
                found[key] = each(article) if each is not None else article
        return found

    def checked_slim(self, keys: list[str], rules: Rules) -> dict[str, tuple[Article, list[Problem]]]:
        """Slim articles among `keys` whose problems were found with these rules (assemble.checked_slim, without
        decoding the complete record); the others are left to `get()`."""
        wanted = rules.ident
        found: dict[str, tuple[Article, list[Problem]]] = {}
        for chunk, marks in _chunks(keys):
            rows = self.db.execute(f"SELECT key, digest, checked, record, body FROM articles WHERE key IN ({marks})", chunk)
            for key, digest, checked, record, body in rows:
                try:
                    slim_record, checked_with, problems = orjson.loads(checked)
                    if checked_with != wanted or digest != _blobs_digest(record, body):
                        continue
                    article = from_record(slim_record, key, complete=False)
                    found[key] = article, [Problem(article.path, int(line), str(message)) for line, message in problems]
                except (ValueError, TypeError, KeyError):
                    continue
        return found

    def put_checks(self, items: list[tuple[Article, list[Problem]]], rules: Rules) -> None:
        """Record slim articles' problems for these rules (after the rules changed)."""
        rid = rules.ident
        rows = [(_checked(article, rid, (article, found)), article.key) for article, found in items]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE articles SET checked=? WHERE key=?", rows)

    def put_many(self, items: list[tuple[Article, Body]], rules: Rules | None = None,
                 checks: Checks | None = None) -> None:
        _put_many(self.db, items, rules, checks)

    def prune(self, keep: set[str]) -> None:
        """Forget articles no longer in the site (edited or deleted)."""
        _delete_all_but(self.db, "articles", "key", keep)


class ValidData:
    """Data that passed its schema, by yamlutil.validity_key (yamlutil.KnownValid)."""

    TABLE = "CREATE TABLE IF NOT EXISTS valid (key TEXT PRIMARY KEY)"

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.used: set[str] = set()  # validity keys asked for or added since the cache was opened

    def known_valid(self, key: str) -> bool:
        self.used.add(key)
        return self.db.execute("SELECT 1 FROM valid WHERE key=?", (key,)).fetchone() is not None

    def remember_valid(self, key: str) -> None:
        self.used.add(key)
        self.db.execute("INSERT OR REPLACE INTO valid VALUES (?)", (key,))

    def prune(self) -> None:
        """Forget data this session did not read (it changed, or the file is gone)."""
        _delete_all_but(self.db, "valid", "key", self.used)


class ImageMemo:
    """Image headers by key (images.ImageSet.scan: the digest of the bytes, Pillow's version): images.Memo."""

    TABLE = "CREATE TABLE IF NOT EXISTS images (key TEXT PRIMARY KEY, value BLOB)"

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.used: set[str] = set()

    def get(self, keys: list[str]) -> dict[str, dict]:
        self.used.update(keys)
        found: dict[str, dict] = {}
        for chunk, marks in _chunks(keys):
            for key, blob in self.db.execute(f"SELECT key, value FROM images WHERE key IN ({marks})", chunk):
                try:
                    found[key] = _unpack(blob)
                except (ValueError, TypeError):
                    continue  # damaged: the image is opened again
        return found

    def put(self, items: dict[str, dict]) -> None:
        self.used.update(items)
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO images VALUES (?, ?)",
                                [(key, _pack(value)) for key, value in sorted(items.items())])

    def prune(self) -> None:
        """Forget the headers of images this session did not see (changed or gone)."""
        _delete_all_but(self.db, "images", "key", self.used)


class PageStore:
    """Rendered pages by the digest of their bytes, so that a build into an empty output folder (a fresh clone in CI
    with the cache restored) writes the pages whose signature is unchanged instead of rendering them again."""

    TABLE = "CREATE TABLE IF NOT EXISTS pages (digest TEXT PRIMARY KEY, body BLOB)"
    PRODUCTS = "CREATE TABLE IF NOT EXISTS products (key TEXT PRIMARY KEY, digest TEXT)"

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def known(self, digests: list[str]) -> set[str]:
        """Which of `digests` the store has (their bytes are read, and checked, by the worker that writes them)."""
        found: set[str] = set()
        for chunk, marks in _chunks(digests):
            found.update(d for (d,) in self.db.execute(f"SELECT digest FROM pages WHERE digest IN ({marks})", chunk))
        return found

    def prune(self, keep: set[str]) -> None:
        """Forget pages no output folder's record names any more, and the products that were those pages."""
        _delete_all_but(self.db, "pages", "digest", keep)
        _delete_all_but(self.db, "products", "digest", keep)


def page_digest(data: bytes) -> str:
    """The digest of a page's bytes that the manifest records (SHA-256: the CPU's SHA instructions make it twice
    blake2b's speed here)."""
    return hashlib.sha256(data).hexdigest()[:32]


class RelatedMemo:
    """The last related reading worked out: assemble.related_key -> slugs, one row (assemble.RelatedMemo)."""

    TABLE = "CREATE TABLE IF NOT EXISTS related (key TEXT PRIMARY KEY, value BLOB)"

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def related(self, key: str) -> list | None:
        """The related reading stored under this key; None if none or damaged."""
        row = self.db.execute("SELECT value FROM related WHERE key=?", (key,)).fetchone()
        try:
            return _unpack(row[0]) if row is not None else None
        except (ValueError, TypeError):
            return None

    def remember_related(self, key: str, value: list) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM related")
            self.db.execute("INSERT INTO related VALUES (?, ?)", (key, _pack(value)))


def _chunks(keys: list[str]):
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        yield chunk, ",".join("?" * len(chunk))


def _blobs_digest(record: bytes, body: bytes) -> str:
    return hashlib.blake2b(record + b"\0" + body, digest_size=8).hexdigest()


def _checked(article: Article, rid: str | None, check: tuple[Article, list[Problem]] | None) -> bytes:
    """The `checked` column: the slim record and the article's own problems (`check`, assemble.checked_slim()) for
    the rules `rid` (None: unchecked)."""
    if rid is None:
        return orjson.dumps([to_record(slim(article)), None, []])
    kept, problems = check
    return orjson.dumps([to_record(kept), rid, [[p.line, p.message] for p in problems]])


def _put_many(db: sqlite3.Connection, items: list[tuple[Article, Body]], rules: Rules | None,
              checks: Checks | None) -> None:
    rid = rules.ident if rules is not None else None
    rows = []
    for article, body in items:
        check = None
        if rules is not None:
            check = (checks or {}).get(article.key) or checked_slim(article, rules)
        record, html = _pack(to_record(article)), _pack([body.html, body.fields])
        rows.append((article.key, _blobs_digest(record, html), _checked(article, rid, check), record, html))
    with db:
        db.execute("BEGIN")
        db.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)", rows)


class Writer:
    """A worker's connection to a store the build has opened, for converted articles and rendered pages (WAL:
    writers take turns briefly)."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA synchronous=NORMAL")

    def put_many(self, items: list[tuple[Article, Body]], rules: Rules | None = None,
                 checks: Checks | None = None) -> None:
        _put_many(self.db, items, rules, checks)

    def put_pages(self, pages: list[tuple[str, bytes]]) -> None:
        """Rendered pages (digest, bytes), LZ4-compressed; one already stored is left as it is."""
        rows = [(digest, lz4.block.compress(data)) for digest, data in pages]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR IGNORE INTO pages VALUES (?, ?)", rows)


    def put_products(self, products: list[tuple[str, str]]) -> None:
        """What producers made: (inputs' key, digest of the bytes, which put_pages stores)."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO products VALUES (?, ?)", products)


class Reader:
    """A read-only view of the store for render workers (one per process)."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        self._next_body: tuple[str, bytes] | None = None  # read with the record: an article page asks for both

    def body(self, key: str) -> Body:
        pending, self._next_body = self._next_body, None
        if pending is not None and pending[0] == key:
            return _body_of(pending[1])
        return _body(self.db, key)

    def page(self, digest: str) -> bytes:
        """A stored page's bytes; KeyError when it is not there or damaged (its bytes do not give its digest)."""
        row = self.db.execute("SELECT body FROM pages WHERE digest=?", (digest,)).fetchone()
        try:
            data = _decompress(row[0]) if row is not None else b""
        except ValueError:
            data = b""
        if row is None or page_digest(data) != digest:
            raise KeyError(f"page {digest} is not in the store")
        return data

    def product(self, key: str) -> bytes | None:
        """The bytes a producer made from the inputs `key`, when the store still has them (checked), else None."""
        try:
            row = self.db.execute("SELECT digest FROM products WHERE key=?", (key,)).fetchone()
            return self.page(row[0]) if row is not None else None
        except (KeyError, sqlite3.Error):
            return None

    def article(self, key: str) -> Article:
        row = self.db.execute("SELECT record, body FROM articles WHERE key=?", (key,)).fetchone()
        if row is None:
            raise KeyError(f"article {key} is not in the store")
        self._next_body = (key, row[1])
        return from_record(_unpack(row[0]), key)


def _body(db: sqlite3.Connection, key: str) -> Body:
    row = db.execute("SELECT body FROM articles WHERE key=?", (key,)).fetchone()
    if row is None:
        raise KeyError(f"article {key} is not in the store")
    return _body_of(row[0])


def _body_of(blob: bytes) -> Body:
    html, fields = _unpack(blob)
    if not isinstance(html, str) or not isinstance(fields, dict):
        raise ValueError("damaged body")
    return Body(html, fields)
