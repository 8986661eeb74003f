"""What every command shares: configuration, output, and the one place errors become messages and exit codes."""

from __future__ import annotations

import json
import sys
from typing import Any

from kiosk.errors import KioskError


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def config(args):
    from kiosk.config import load_config

    return load_config(args.config)


def fail(err: KioskError, as_json: bool) -> int:
    if as_json:
        emit({"error": err.as_dict()})
    else:
        print(f"kiosk: {err.message} [{err.code}]", file=sys.stderr)
    return err.exit_code
