"""The host and port each kiosk enrolled under (the Host of its enrolment request): without --public-url the
hub accepts that name, besides its own address, as the @authority of that kiosk's signatures."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("devices") as t:
        t.add_column(sa.Column("enrolled_as", sa.String(300), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("devices") as t:
        t.drop_column("enrolled_as")
