"""media nodes: the Janus node that carries each engagement's rooms

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rooms made before have no node: each is placed at its next use.
    with op.batch_alter_table("media_room") as batch:
        batch.add_column(sa.Column("node", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media_room") as batch:
        batch.drop_column("node")
