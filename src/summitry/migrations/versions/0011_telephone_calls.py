"""telephone calls: the register of calls, so that any replica places and lists them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telephone_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("address", sa.String(length=120), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("end_reason", sa.String(length=200), nullable=False),
        sa.Column("placed_by", sa.Integer(), nullable=True),
        sa.Column("placed_by_name", sa.String(length=200), nullable=False),
        sa.Column("placed_by_email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendee.id"],
            name=op.f("fk_telephone_call_attendee_id_attendee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_telephone_call_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telephone_call")),
    )
    with op.batch_alter_table("telephone_call", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telephone_call_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_telephone_call_stage"), ["stage"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("telephone_call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telephone_call_stage"))
        batch_op.drop_index(batch_op.f("ix_telephone_call_engagement_id"))
    op.drop_table("telephone_call")
