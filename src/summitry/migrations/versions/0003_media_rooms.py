"""media rooms

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 17:31:05.553426
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("janus_room_id", sa.BigInteger(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_media_room_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_room")),
        sa.UniqueConstraint("engagement_id", name=op.f("uq_media_room_engagement_id")),
        sa.UniqueConstraint("janus_room_id", name=op.f("uq_media_room_janus_room_id")),
    )


def downgrade() -> None:
    op.drop_table("media_room")
