"""channel generation: the listening PINs' generation, shared by every replica

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # "" is a generation like any other: each channel's PIN also hangs on its own secret.
    with op.batch_alter_table("language_channel") as batch:
        batch.add_column(
            sa.Column("generation", sa.String(length=32), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("language_channel") as batch:
        batch.drop_column("generation")
