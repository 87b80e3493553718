"""The persistent cache (`.sitegen-cache/store.sqlite`): one SQLite file, one class for each thing it keeps.

- `ArticleStore`: converted articles by key, so a warm build converts nothing. Keys are digests of (sitegen
  version, Markdown configuration, front-matter schema, path, source bytes): an edited article, a new extension
  setting or a new release of sitegen simply misses. Values are JSON and LZ4, never pickle, and each row carries a
  digest of its record and body, so a foreign or corrupt row is ignored and rebuilt, never trusted. Bodies (HTML)
  stay on disk; the build keeps only article metadata in memory. Beside the full record, a row keeps the slim
  article (content.slim) with its own problems for one set of rules (assemble.Rules.ident): a one-shot build loads and checks cached
  articles from that alone. `Writer` and `Reader` are the worker processes' connections to it.
- `ValidData`, `RelatedMemo`, `ImageMemo` (memos.py): data found valid, the last related reading, image headers.
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
from .memos import ImageMemo, RelatedMemo, ValidData, chunks, decompress, delete_all_but, pack, unpack
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
        for chunk, marks in chunks(keys):
            rows = self.db.execute(f"SELECT key, digest, record, body FROM articles WHERE key IN ({marks})", chunk)
            for key, digest, record, body in rows:
                try:
                    if digest != _blobs_digest(record, body):
                        continue
                    article = from_record(unpack(record), key)
                except (ValueError, TypeError, KeyError):
                    continue
                found[key] = each(article) if each is not None else article
        return found

    def checked_slim(self, keys: list[str], rules: Rules) -> dict[str, tuple[Article, list[Problem]]]:
        """Slim articles among `keys` whose problems were found with these rules (assemble.checked_slim, without
        decoding the complete record); the others are left to `get()`."""
        wanted = rules.ident
        found: dict[str, tuple[Article, list[Problem]]] = {}
        for chunk, marks in chunks(keys):
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
        delete_all_but(self.db, "articles", "key", keep)


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
        for chunk, marks in chunks(digests):
            found.update(d for (d,) in self.db.execute(f"SELECT digest FROM pages WHERE digest IN ({marks})", chunk))
        return found

    def prune(self, keep: set[str]) -> None:
        """Forget pages no output folder's record names any more, and the products that were those pages."""
        delete_all_but(self.db, "pages", "digest", keep)
        delete_all_but(self.db, "products", "digest", keep)


def page_digest(data: bytes) -> str:
    """The digest of a page's bytes that the manifest records (SHA-256: the CPU's SHA instructions make it twice
    blake2b's speed here)."""
    return hashlib.sha256(data).hexdigest()[:32]


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
        record, html = pack(to_record(article)), pack([body.html, body.fields])
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
            data = decompress(row[0]) if row is not None else b""
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
        return from_record(unpack(row[0]), key)


def _body(db: sqlite3.Connection, key: str) -> Body:
    row = db.execute("SELECT body FROM articles WHERE key=?", (key,)).fetchone()
    if row is None:
        raise KeyError(f"article {key} is not in the store")
    return _body_of(row[0])


def _body_of(blob: bytes) -> Body:
    html, fields = unpack(blob)
    if not isinstance(html, str) or not isinstance(fields, dict):
        raise ValueError("damaged body")
    return Body(html, fields)
