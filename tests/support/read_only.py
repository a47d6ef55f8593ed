"""A folder (or file) this process cannot write, even when the tests run as root."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` made read-only for the block: by its mode for a normal user; for root, whom modes do
    not stop, by the immutable attribute (`chattr +i`) where the filesystem allows it; else the
    test is skipped, as a read-only location cannot be made."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o500 if path.is_dir() else 0o400)
        try:
            yield path
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root, where a read-only location cannot be made (no chattr +i here)")
    try:
        yield path
    finally:
        subprocess.run([chattr, "-i", str(path)], capture_output=True)
