"""Failed logins per account: how many in a row, and until when the account waits before the next check."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("users") as t:
        t.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        t.add_column(sa.Column("retry_at", sa.DateTime(timezone=True)))
