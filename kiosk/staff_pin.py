"""Where the staff PIN lives: `[ui] staff_pin_sha256` when an operator set one in the config, else the
``staff_pin`` file in the data dir (mode 0600), written by `kiosk pin set` or by the touchscreen at first
start. There is no factory PIN: a kiosk without one asks for it."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import Config
from kiosk.domain.pin import make_record

PIN_FILE = "staff_pin"


def pin_record(config: Config) -> str:
    if config.ui.staff_pin_sha256:
        return config.ui.staff_pin_sha256.lower()
    try:
        return (config.data_path / PIN_FILE).read_text().strip()
    except OSError:
        return ""


def save_pin(data_dir: Path, pin: str) -> str:
    """Store a new PIN (raises ValueError for one that is not 4-8 digits); returns its record."""
    from kiosk.identity import write_private

    record = make_record(pin)
    data_dir.mkdir(parents=True, exist_ok=True)
    write_private(data_dir / PIN_FILE, (record + "\n").encode())
    return record
