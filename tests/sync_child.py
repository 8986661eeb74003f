"""Child process for the crash test: produce meters and sync them, forever, until killed."""

import sys

from kiosk.domain.models import Answer
from kiosk.store.db import connect
from kiosk.store.turns import TurnStore
from kiosk.sync.worker import SyncSettings, SyncWorker


def main(db_path: str, url: str) -> None:
    db = connect(db_path)
    store = TurnStore(db)
    worker = SyncWorker(db, SyncSettings(device_id="crash-kiosk", ingest_url=url, batch_size=7,
                                         timeout_s=2.0, backoff_base_s=0.0))
    n = 0
    while True:
        for _ in range(3):
            store.record(Answer(f"q{n}", "a", "heuristic", "full", False, 0.5, [], total_ms=1.0), "s")
            n += 1
        db.conn.execute("UPDATE meters SET next_attempt_at = NULL WHERE status = 'pending'")
        worker.run_once()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
