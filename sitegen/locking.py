"""The output lock where there is no fcntl (write.output_lock uses flock on Linux and macOS).

On Windows a lock file locked with msvcrt.locking; on a system with neither, a lock file created exclusively
(O_CREAT|O_EXCL) that holds the builder's process id. Both keep the guarantee of one build at a time per output
folder, and the file is removed when the build ends. An exclusive lock file left by a killed build is taken over
once no process has that id.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

try:
    import msvcrt
except ImportError:  # not Windows
    msvcrt = None


@contextlib.contextmanager
def file_lock(path: Path):
    lock = _msvcrt_lock if msvcrt is not None else _exclusive_file_lock
    with lock(path):
        yield


@contextlib.contextmanager
def _msvcrt_lock(path: Path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for about 10 seconds, then raises
                break
            except OSError:
                continue
        try:
            yield
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)  # another build may hold it open by now: then it stays until that one ends


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, AttributeError):
        return True  # not ours to signal, or no way to ask: assume it is still building
    return True


@contextlib.contextmanager
def _exclusive_file_lock(path: Path):
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            try:
                pid = int(path.read_text("ascii").strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and not _alive(pid):
                with contextlib.suppress(OSError):
                    os.unlink(path)  # left by a build that was killed
                continue
            time.sleep(0.05)  # another build holds it: wait for it to end
            continue
        break
    try:
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        os.close(fd)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
