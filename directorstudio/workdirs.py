"""Work folders in the machine's temporary folder, one per request or job, and the ones killed processes left.

A process killed mid-upload or mid-render (gunicorn's timeout, a SIGKILL) cannot remove its folder. Whoever next
makes a folder of the same kind on that machine deletes those untouched for long enough: web hosts, which run no
periodic task, then clean up after themselves as workers do.
"""

import contextlib
import pathlib
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator


def workdirs_purge(*, prefixes: Iterable[str], stale_seconds: float) -> int:
    """Delete this machine's work folders of these kinds untouched for `stale_seconds`; how many."""
    cutoff = time.time() - stale_seconds
    purged = 0
    for prefix in prefixes:
        for folder in pathlib.Path(tempfile.gettempdir()).glob(f"{prefix}*"):
            try:
                touched = max(path.stat().st_mtime for path in [folder, *folder.rglob("*")])
            except FileNotFoundError:  # its run has just finished and removed it
                continue
            if folder.is_dir() and touched < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                purged += 1
    return purged


@contextlib.contextmanager
def workdir(*, prefix: str, stale_seconds: float) -> Iterator[pathlib.Path]:
    """A fresh work folder for the block, removed after it; first, the stale folders of its kind are deleted."""
    workdirs_purge(prefixes=[prefix], stale_seconds=stale_seconds)
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield pathlib.Path(folder)
