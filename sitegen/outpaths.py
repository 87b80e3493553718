"""The one check every output path passes (write.py's writers, the plan's output_problems): a path relative to the
output folder that a source file chose (a slug, an alias, a category, a data key) must stay inside it."""

from __future__ import annotations

import os
import re

OUTPUT_MARKER = ".sitegen-output"  # the file that marks a folder the build made (write.MARKER)


class UnsafeOutput(Exception):
    """A file the build was asked to write would land outside the output folder (unsafe_reason). The plan
    refuses such paths with the source field that made them first, so this is a last line of defence."""



# -- the one check every output path passes --------------------------------------------------------------------
ENCODED_RE = re.compile(r"%(?:2f|5c|2e|00)", re.IGNORECASE)
DRIVE_RE = re.compile(r"^[A-Za-z]:")
OWN_FILES = frozenset({".nojekyll", OUTPUT_MARKER})  # the only names with a leading dot the build writes itself


def unsafe_reason(rel: str, own: bool = False) -> str | None:
    """Why a path relative to the output folder must not be written, or None when it is safe: it is absolute, has
    an empty, '.' or '..' part, a NUL, a backslash, another control character, an encoded separator or dot
    (%2f, %5c, %2e, %00: a static host may decode them), a part starting with '.' (hidden files, the output's
    marker), or a part longer than file systems allow. Every value a source file turns into a path (slug, alias,
    category, tag, data key, page path, static file name) ends here, in the writer, whatever field it came from."""
    if not rel:
        return "it is empty"
    if "\0" in rel:
        return "it contains a NUL character"
    if "\\" in rel:
        return "it contains a backslash"
    if rel.startswith("/") or DRIVE_RE.match(rel):
        return "it is an absolute path"
    if ENCODED_RE.search(rel):
        return "it contains an encoded separator or dot (%2f, %5c, %2e, %00)"
    if not rel.isprintable():
        return "it contains a control character"
    for part in rel.split("/"):
        if part == "..":
            return "it contains '..'"
        if part in ("", "."):
            return "it has an empty or '.' part"
        if part.startswith(".") and not (own and rel in OWN_FILES):
            return "a part of it starts with '.'"
        if len(part.encode("utf-8")) > 255:
            return "a part of it is longer than 255 bytes"
    return None


def safe_join(base: str, rel: str, own: bool = False) -> str:
    """base/rel, or UnsafeOutput when rel is not a safe output path (unsafe_reason)."""
    reason = unsafe_reason(rel, own)
    if reason is not None:
        raise UnsafeOutput(f"refusing to write {rel!r}: {reason}")
    return os.path.join(base, rel)


def check_inside(base: str, directory: str, verified: set[str]) -> None:
    """A folder about to receive output must be inside the output folder through real folders only: no part of
    it below `base` may be a symbolic link (which could lead anywhere). Paths that passed safe_join() are inside
    `base` as text; `verified` holds the folders already looked at, so each costs one lstat once."""
    chain = []
    current = directory
    while current not in verified and current != base:
        if not current.startswith(base + os.sep):
            raise UnsafeOutput(f"refusing to write into {directory}: it is not inside {base}")
        chain.append(current)
        current = os.path.dirname(current)
    for folder in reversed(chain):
        if os.path.islink(folder):
            raise UnsafeOutput(f"refusing to write into {directory}: {folder} is a symbolic link")
        verified.add(folder)


