"""Packs with their versions, the release ledger, and what each kiosk reported about a release."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "packs",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("bundle_version", sa.Integer, nullable=False, unique=True),
        sa.Column("pack_name", sa.String(64), nullable=False),
        sa.Column("pack_version", sa.Integer),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signed", sa.String(16), nullable=False),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rings", sa.JSON, nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("halt_reason", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("blob", sa.LargeBinary, nullable=False))
    # The regression check reads one kiosk's meters or starts over a time window.
    op.create_index("ix_events_source_type_time", "events", ["source", "type", "time"])
    op.create_table(
        "device_updates",
        sa.Column("device_id", sa.String(128), primary_key=True),
        sa.Column("release_id", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    for t in ("device_updates", "releases", "packs"):
        op.drop_table(t)
    op.drop_index("ix_events_source_type_time", "events")
