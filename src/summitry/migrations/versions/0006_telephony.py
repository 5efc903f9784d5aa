"""telephony: dial-in numbers and personal PINs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telephone_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_telephone_line_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telephone_line")),
        sa.UniqueConstraint("engagement_id", name=op.f("uq_telephone_line_engagement_id")),
        sa.UniqueConstraint("number", name=op.f("uq_telephone_line_number")),
    )
    op.create_table(
        "telephone_pin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=False),
        sa.Column("pin_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendee.id"],
            name=op.f("fk_telephone_pin_attendee_id_attendee"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_telephone_pin_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telephone_pin")),
        sa.UniqueConstraint("attendee_id", name=op.f("uq_telephone_pin_attendee_id")),
    )
    with op.batch_alter_table("telephone_pin", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telephone_pin_engagement_id"), ["engagement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("telephone_pin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telephone_pin_engagement_id"))
    op.drop_table("telephone_pin")
    op.drop_table("telephone_line")
