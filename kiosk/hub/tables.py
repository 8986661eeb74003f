"""The hub's tables (SQLAlchemy Core). Created and changed only by the Alembic migrations in migrations/."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, LargeBinary, MetaData, String, Table

metadata = MetaData()

devices = Table(
    "devices", metadata,
    Column("id", String(128), primary_key=True),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("ring", String(64), nullable=False, default="all"),
    Column("state", String(16), nullable=False, default="active"),  # active | revoked
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True)),
)

enrol_codes = Table(
    "enrol_codes", metadata,
    Column("code_hash", String(64), primary_key=True),  # sha-256 of the code: the code itself is not kept
    Column("ring", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_by", String(128)),
)

# (source, id) is the primary key: a retried batch, or the same batch at two hub processes, is held once.
events = Table(
    "events", metadata,
    Column("source", String(128), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("type", String(128), nullable=False, index=True),
    Column("time", String(64), nullable=False),
    Column("data", JSON),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# Every signature's nonce, per device, for as long as its timestamp is acceptable: a replay is refused.
nonces = Table(
    "nonces", metadata,
    Column("keyid", String(128), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("created", BigInteger, nullable=False, index=True),
)
