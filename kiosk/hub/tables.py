"""The hub's tables (SQLAlchemy Core). Created and changed only by the Alembic migrations in migrations/."""

from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table,
                        Text)

metadata = MetaData()

devices = Table(
    "devices", metadata,
    Column("id", String(128), primary_key=True),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("ring", String(64), nullable=False, default="all"),
    Column("state", String(16), nullable=False, default="active"),  # active | revoked
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True)),
    Column("quota_day", String(10), nullable=False, default=""),      # the UTC day events_today counts
    Column("events_today", BigInteger, nullable=False, default=0),   # against [hub] kiosk_events_per_day
    Column("enrolled_as", String(300), nullable=False, default=""),  # the Host it enrolled under
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
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
)
Index("ix_events_source_type_time", events.c.source, events.c.type, events.c.time)

# Every signature's nonce, per device, for as long as its timestamp is acceptable: a replay is refused.
nonces = Table(
    "nonces", metadata,
    Column("keyid", String(128), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("created", BigInteger, nullable=False, index=True),
)

# An escalation a kiosk sent (already redacted there), keyed like events: a retry is the same row.
# state: asking (upstream called) | answered (grounded upstream answer, returned at once) |
#        review (waiting for staff, ``reason`` says why) | staff (staff answered; ``delivered_at`` once fetched)
escalations = Table(
    "escalations", metadata,
    Column("device_id", String(128), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("question", Text, nullable=False),
    Column("pack", JSON),  # the kiosk's pack entries sent with it: what the answer is checked against
    Column("state", String(16), nullable=False, index=True),
    Column("reason", String(64), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
    Column("answer", Text),
    Column("answered_by", String(128)),
    Column("answered_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
)

# Dashboard users (argon2id hashes) and their sessions (only a hash of the cookie's token is kept).
users = Table(
    "users", metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),   # wrong passwords in a row
    Column("retry_at", DateTime(timezone=True)),                   # no password check before this (backoff)
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Knowledge packs the fleet uses, every version kept: the pack directory's Markdown files as {path: text}.
packs = Table(
    "packs", metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("files", JSON, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The release ledger: each signed bundle offered to kiosks, its rollout plan (``rings`` in order) and how far
# it has gone (``stage``: rings[0..stage] may install it). state: rolling | halted | superseded
releases = Table(
    "releases", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bundle_version", Integer, nullable=False, unique=True),
    Column("pack_name", String(64), nullable=False, default=""),
    Column("pack_version", Integer),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signed", String(16), nullable=False),  # "hub" (the hub's key) | "offline" (uploaded, signed elsewhere)
    Column("published_by", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("rings", JSON, nullable=False),
    Column("stage", Integer, nullable=False, default=0),
    Column("state", String(16), nullable=False, default="rolling"),
    Column("halt_reason", Text, nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("blob", LargeBinary, nullable=False),
)

# What each kiosk reported about a release: pending (offered) | downloading | installed | reverted | failed
device_updates = Table(
    "device_updates", metadata,
    Column("device_id", String(128), primary_key=True),
    Column("release_id", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
