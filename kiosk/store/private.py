"""Database files only their owner can read: the kiosk's and the hub's hold visitors' questions and staff
sessions. SQLite creates its -wal and -shm files with the database file's mode, so they follow."""

from __future__ import annotations

import os
from pathlib import Path


def create_private(path: str | Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist yet (an existing file is left as it is)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
