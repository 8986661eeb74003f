"""Each kiosk's events today (its daily quota, counted where its contact is noted), and the index that lets
old events be deleted by when they arrived ([hub] retention_days)."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("devices") as t:
        t.add_column(sa.Column("quota_day", sa.String(10), nullable=False, server_default=""))
        t.add_column(sa.Column("events_today", sa.BigInteger, nullable=False, server_default="0"))
    op.create_index("ix_events_received_at", "events", ["received_at"])
