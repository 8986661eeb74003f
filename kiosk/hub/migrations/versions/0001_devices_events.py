"""Devices, one-time enrolment codes, events de-duplicated on (source, id), signature nonces."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("ring", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True)))
    op.create_table(
        "enrol_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("ring", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by", sa.String(128)))
    op.create_table(
        "events",
        sa.Column("source", sa.String(128), primary_key=True),
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("time", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_events_type", "events", ["type"])
    op.create_table(
        "nonces",
        sa.Column("keyid", sa.String(128), primary_key=True),
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("created", sa.BigInteger, nullable=False))
    op.create_index("ix_nonces_created", "nonces", ["created"])


def downgrade() -> None:
    for name in ("nonces", "events", "enrol_codes", "devices"):
        op.drop_table(name)
