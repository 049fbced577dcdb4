"""Writing a folder whole or not at all: fill a temporary sibling, then move it into place.

Used for every folder fundguard writes (a generated dataset, an imported export, a scored
month), so a failed or killed run leaves the earlier folder as it was.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def written_aside(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder to fill; when the block ends without an error it replaces
    `target` whole (two renames), otherwise it is removed and `target` stays as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
