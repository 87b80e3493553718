"""Finding source files: every folder of the site is walked the same way, symbolic links included.

A symbolic link (to a file or a folder) under content/, data/, templates/ or static/ is followed when it leads to a
place inside the site, and refused with `path:1: message` when it leads outside (the rule Hugo follows): a pull
request must not be able to publish /etc/passwd or a private key by committing a link. Hidden files and folders
(a leading dot) are skipped, links that lead nowhere too, and a link to a folder that contains it (a loop) is not
followed.
"""

from __future__ import annotations

import os
from pathlib import Path

from .content import decode_source, read_source
from .errors import Collector, Problem
from .limits import MAX_CONTENT_BYTES

SOURCE_FOLDERS = ("content", "data", "schemas", "templates", "static")


def _inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real + os.sep)


def outside_message(real: str) -> str:
    return f"symbolic link leads outside the site (to {real}); copy what it points to into the site instead"


def walk(root: Path, folder: str, suffix: str | None = None) -> tuple[list[str], list[Problem]]:
    """Absolute paths of the files under root/folder, in name order part by part (a folder's files before a file of
    the same name with a suffix), and a problem for each link that leads outside the site."""
    root_real = os.path.realpath(root)
    top = os.path.join(root, folder)
    found: list[str] = []
    problems: list[Problem] = []
    if os.path.islink(top):
        real = os.path.realpath(top)
        if not _inside(real, root_real):
            return [], [Problem(folder, 1, outside_message(real))]
    if not os.path.isdir(top):
        return [], []
    pending = [(top, folder + "/", frozenset({os.path.realpath(top)}))]  # folder, its site path, the real folders above it
    while pending:
        directory, rel_dir, above = pending.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            path = os.path.join(directory, name)
            if entry.is_symlink():
                real = os.path.realpath(path)
                if not _inside(real, root_real):
                    problems.append(Problem(rel_dir + name, 1, outside_message(real)))
                    continue
                if os.path.isdir(real):
                    if real not in above:
                        folders.append((path, rel_dir + name + "/", above | {real}))
                elif os.path.isfile(real) and (suffix is None or name.endswith(suffix)):
                    found.append(path)
            elif entry.is_dir(follow_symlinks=False):
                folders.append((path, rel_dir + name + "/", above | {os.path.realpath(path)}))
            elif entry.is_file(follow_symlinks=False) and (suffix is None or name.endswith(suffix)):
                found.append(path)  # a regular file: never a pipe or a device, which could block a read forever
        pending.extend(folders)
    found.sort(key=lambda name: os.path.relpath(name, top).split(os.sep))
    return found, problems


def discover(directory: Path, suffix: str | None = None) -> list[Path]:
    """Source files under a folder of the site (walk() without its problems: the build refuses links out of the
    site before it reads anything)."""
    return [Path(name) for name in walk(directory.parent, directory.name, suffix)[0]]


def read_bytes(path: Path, rel: str, problems: Collector, limit: int = MAX_CONTENT_BYTES) -> bytes | None:
    raw, problem = read_source(str(path), rel, limit)
    if problem is not None:
        problems.extend([problem])
    return raw


def decode(raw: bytes, rel: str, problems: Collector) -> str | None:
    text, problem = decode_source(raw, rel)
    if problem is not None:
        problems.extend([problem])
    return text


def read_text(path: Path, rel: str, problems: Collector, limit: int = MAX_CONTENT_BYTES) -> str | None:
    raw = read_bytes(path, rel, problems, limit)
    return None if raw is None else decode(raw, rel, problems)
