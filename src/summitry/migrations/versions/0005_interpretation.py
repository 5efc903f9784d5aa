"""interpretation: booths and language channels

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "language_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("janus_room_id", sa.BigInteger(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_language_channel_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_language_channel")),
        sa.UniqueConstraint(
            "engagement_id", "language", name=op.f("uq_language_channel_engagement_id_language")
        ),
        sa.UniqueConstraint("janus_room_id", name=op.f("uq_language_channel_janus_room_id")),
    )
    with op.batch_alter_table("attendee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("booth", sa.String(length=16), nullable=True))
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("floor_level", sa.Integer(), nullable=False, server_default="18")
        )


def downgrade() -> None:
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.drop_column("floor_level")
    with op.batch_alter_table("attendee", schema=None) as batch_op:
        batch_op.drop_column("booth")
    op.drop_table("language_channel")
