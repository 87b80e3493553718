"""Byte-identical Pagefind output: its filter files put in one order.

Pagefind (1.5) keeps each filter's values in a hash map seeded at random per run (its own source says "TODO:
Change filter indexes to BTree to give them a stable hash"), so two runs over the same pages write the same
fragments and word index but filter files whose values come in another order, under other names, and a meta file
(which lists the filters, in hash-map order too) with another name. Everything else is stable.

`stabilise(bundle)` rewrites those files in sorted order: each `filter/*.pf_filter` with its values sorted by value,
the meta file with its filters sorted by name, the files named as Pagefind names them (the SHA-1 of their CBOR),
and `pagefind-entry.json` pointing at the new meta file. The formats are Pagefind's private ones (gzip of
`pagefind_dcd` + CBOR of the structs in pagefind/src/index/index_filter.rs and index_metadata.rs), so every step
checks what it reads: a file that does not decode, or whose CBOR does not encode back to the same bytes, leaves the
bundle exactly as Pagefind wrote it (search still works; only the bytes may differ between runs), and `stabilise`
returns why. tests/test_search.py checks that two runs give the same bytes and that filters still work in a browser.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

SIGNATURE = b"pagefind_dcd"


class Unexpected(Exception):
    """A file is not in the shape this module knows."""


# -- CBOR: the subset minicbor writes for Pagefind's structs (definite lengths, shortest integers) -----------------

def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | extra]) + value.to_bytes(size, "big")
    raise Unexpected("integer too large")


def encode(value) -> bytes:
    if isinstance(value, bool) or value is None:
        raise Unexpected("unexpected simple value")
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _head(3, len(data)) + data
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(encode(v) for v in value)
    raise Unexpected(f"cannot encode {type(value).__name__}")


def decode(data: bytes):
    value, end = _decode(data, 0, 0)
    if end != len(data):
        raise Unexpected("trailing bytes")
    return value


def _decode(data: bytes, pos: int, depth: int):
    if depth > 16 or pos >= len(data):
        raise Unexpected("truncated or too deep")
    first = data[pos]
    major, info = first >> 5, first & 31
    pos += 1
    if info < 24:
        arg = info
    elif info <= 27:
        size = 1 << (info - 24)
        if pos + size > len(data):
            raise Unexpected("truncated")
        arg = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    else:
        raise Unexpected("indefinite length or reserved value")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if pos + arg > len(data):
            raise Unexpected("truncated string")
        chunk = data[pos:pos + arg]
        return (chunk if major == 2 else chunk.decode("utf-8")), pos + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = _decode(data, pos, depth + 1)
            items.append(item)
        return items, pos
    raise Unexpected(f"CBOR major type {major}")


# -- Pagefind's files -------------------------------------------------------------------------------------------

def _read(path: Path) -> tuple[bytes, object]:
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(SIGNATURE):
        raise Unexpected(f"{path.name}: no {SIGNATURE.decode()} signature")
    body = raw[len(SIGNATURE):]
    value = decode(body)
    if encode(value) != body:  # the self-check: this codec must give back exactly what Pagefind wrote
        raise Unexpected(f"{path.name}: CBOR does not round-trip")
    return body, value


def _pack(body: bytes) -> bytes:
    return gzip.compress(SIGNATURE + body, compresslevel=9, mtime=0)


def full_hash(data: bytes) -> str:
    """Pagefind's utils::full_hash: SHA-1, each byte as lower-case hex without padding."""
    return "".join(format(b, "x") for b in hashlib.sha1(data).digest())


def stabilise(bundle: Path, language: str) -> str | None:
    """Rewrite the bundle's filter and meta files in sorted order. None when done (or nothing to do), else why the
    bundle was left as Pagefind wrote it."""
    try:
        return _stabilise(bundle, language)
    except (Unexpected, OSError, ValueError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        return str(exc) or type(exc).__name__


def _stabilise(bundle: Path, language: str) -> str | None:
    entry_path = bundle / "pagefind-entry.json"
    entry_text = entry_path.read_text(encoding="utf-8")
    entry = json.loads(entry_text)
    langs = entry.get("languages")
    if not isinstance(langs, dict) or list(langs) != [language]:
        raise Unexpected(f"pagefind-entry.json: expected one language {language!r}")
    meta_hash = langs[language]["hash"]
    meta_path = bundle / f"pagefind.{meta_hash}.pf_meta"
    _body, meta = _read(meta_path)
    if not (isinstance(meta, list) and len(meta) >= 5 and isinstance(meta[3], list)):  # 1.5 adds a 6th
        raise Unexpected("pf_meta: not the MetaIndex of Pagefind 1.x")
    filters = meta[3]
    if not filters:
        return None
    plan: list[tuple[str, Path, bytes]] = []  # (filter name, old file, new CBOR)
    for item in filters:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            raise Unexpected("pf_meta: a filter entry is not (name, hash)")
        name, short = item
        path = bundle / "filter" / f"{short}.pf_filter"
        _fbody, index = _read(path)
        if not (isinstance(index, list) and len(index) == 2 and index[0] == name and isinstance(index[1], list)):
            raise Unexpected(f"{path.name}: not the FilterIndex of {name!r}")
        for value in index[1]:
            if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
                    and isinstance(value[1], list)):
                raise Unexpected(f"{path.name}: a value is not (text, pages)")
        plan.append((name, path, encode([name, sorted(index[1], key=lambda v: v[0])])))
    new_filters, taken, writes = [], set(), []
    for name, path, body in sorted(plan, key=lambda p: p[0]):
        short = _short(f"{language}_{full_hash(body)}", len(language) + 8, taken)
        taken.add(short)
        new_filters.append([name, short])
        writes.append((path, bundle / "filter" / f"{short}.pf_filter", body))
    meta[3] = new_filters
    meta_body = encode(meta)
    new_meta_hash = f"{language}_{full_hash(meta_body)[:len(language) + 8]}"
    # write the new files, then point the entry at the new meta, then remove what is no longer named
    olds = {path for path, _new, _body in writes} | {meta_path}
    news = set()
    for _old, new, body in writes:
        _write(new, _pack(body))
        news.add(new)
    new_meta = bundle / f"pagefind.{new_meta_hash}.pf_meta"
    _write(new_meta, _pack(meta_body))
    news.add(new_meta)
    langs[language]["hash"] = new_meta_hash
    new_entry = entry_text.replace(f'"hash":"{meta_hash}"', f'"hash":"{new_meta_hash}"', 1)
    if json.loads(new_entry) != entry:
        raise Unexpected("pagefind-entry.json: the meta hash could not be replaced")
    _write(entry_path, new_entry.encode("utf-8"))
    for old in olds - news:
        old.unlink()
    return None


def _short(full: str, length: int, taken: set[str]) -> str:
    """Pagefind's short names: the first `length` characters, one more while another file has them."""
    short = full[:length]
    while short in taken and len(short) < len(full):
        short = full[:len(short) + 1]
    return short


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
