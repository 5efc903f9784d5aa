"""precedence and speaking time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 17:50:42.642212
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("speaking_time_s", sa.Integer(), nullable=True))

    with op.batch_alter_table("engagement", schema=None) as batch_op:
        # Existing engagements keep the order they were given: it becomes their manual order.
        batch_op.add_column(
            sa.Column(
                "precedence_rule", sa.String(length=24), nullable=False, server_default="manual"
            )
        )
        batch_op.add_column(
            sa.Column(
                "precedence_language", sa.String(length=16), nullable=False, server_default="en"
            )
        )
        batch_op.add_column(sa.Column("precedence_lot", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.drop_column("precedence_lot")
        batch_op.drop_column("precedence_language")
        batch_op.drop_column("precedence_rule")

    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_column("speaking_time_s")
