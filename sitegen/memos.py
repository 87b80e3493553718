"""The small parts of the cache file (store.py): values packed as JSON and LZ4, and the memos.

- `ValidData`: data files found valid (yamlutil.validity_key), so they are not validated again.
- `ImageMemo`: image headers (size, format, animation) by the digest of the image's bytes (images.ImageSet.scan),
  so a warm build opens no image.
- `RelatedMemo`: the last related reading worked out (assemble.related_key).
"""

from __future__ import annotations

import sqlite3

import lz4.block
import orjson


def pack(value) -> bytes:
    # compact UTF-8 JSON (what json.dumps(separators=(",", ":")) writes), LZ4 with its size first: a tenth of zlib's
    # time to pack and a quarter to unpack, for 40 % more bytes (5.7 KB an article against 4.1 KB)
    return lz4.block.compress(orjson.dumps(value))


MAX_RATIO = 255  # LZ4 cannot expand more than this: a size header above it is damage, not data to allocate for


def decompress(blob: bytes) -> bytes:
    """An LZ4 block of ours; a damaged one raises ValueError (lz4's LZ4BlockError is turned into one)."""
    if len(blob) < 4 or int.from_bytes(blob[:4], "little") > MAX_RATIO * len(blob):
        raise ValueError("not an LZ4 block of ours")
    try:
        return lz4.block.decompress(blob)
    except lz4.block.LZ4BlockError as exc:
        raise ValueError(str(exc)) from None


def unpack(blob: bytes):
    """A stored value; a damaged one raises ValueError."""
    return orjson.loads(decompress(blob))  # malformed JSON raises orjson.JSONDecodeError, a ValueError


def delete_all_but(db: sqlite3.Connection, table: str, column: str, keep: set[str]) -> None:
    """Delete the rows of `table` whose `column` is not in `keep` (one transaction)."""
    stale = [(k,) for (k,) in db.execute(f"SELECT {column} FROM {table}") if k not in keep]
    if stale:
        with db:
            db.execute("BEGIN")
            db.executemany(f"DELETE FROM {table} WHERE {column}=?", stale)


def chunks(keys: list[str]):
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        yield chunk, ",".join("?" * len(chunk))


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
        delete_all_but(self.db, "valid", "key", self.used)


class ImageMemo:
    """Image headers by key (images.ImageSet.scan: the digest of the bytes, Pillow's version): images.Memo."""

    TABLE = "CREATE TABLE IF NOT EXISTS images (key TEXT PRIMARY KEY, value BLOB)"

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.used: set[str] = set()

    def get(self, keys: list[str]) -> dict[str, dict]:
        self.used.update(keys)
        found: dict[str, dict] = {}
        for chunk, marks in chunks(keys):
            for key, blob in self.db.execute(f"SELECT key, value FROM images WHERE key IN ({marks})", chunk):
                try:
                    found[key] = unpack(blob)
                except (ValueError, TypeError):
                    continue  # damaged: the image is opened again
        return found

    def put(self, items: dict[str, dict]) -> None:
        self.used.update(items)
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO images VALUES (?, ?)",
                                [(key, pack(value)) for key, value in sorted(items.items())])

    def prune(self) -> None:
        """Forget the headers of images this session did not see (changed or gone)."""
        delete_all_but(self.db, "images", "key", self.used)


class RelatedMemo:
    """The last related reading worked out: assemble.related_key -> slugs, one row (assemble.RelatedMemo)."""

    TABLE = "CREATE TABLE IF NOT EXISTS related (key TEXT PRIMARY KEY, value BLOB)"

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def related(self, key: str) -> list | None:
        """The related reading stored under this key; None if none or damaged."""
        row = self.db.execute("SELECT value FROM related WHERE key=?", (key,)).fetchone()
        try:
            return unpack(row[0]) if row is not None else None
        except (ValueError, TypeError):
            return None

    def remember_related(self, key: str, value: list) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM related")
            self.db.execute("INSERT INTO related VALUES (?, ?)", (key, pack(value)))
