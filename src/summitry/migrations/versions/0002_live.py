"""live event log and media grants

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 17:22:37.010591
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_live_event_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_event")),
        sa.UniqueConstraint("engagement_id", "seq", name=op.f("uq_live_event_engagement_id_seq")),
    )
    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_event_engagement_id"), ["engagement_id"], unique=False
        )

    op.create_table(
        "media_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("feed_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendee.id"],
            name=op.f("fk_media_grant_attendee_id_attendee"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_media_grant_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_grant")),
        sa.UniqueConstraint(
            "engagement_id", "attendee_id", name=op.f("uq_media_grant_engagement_id_attendee_id")
        ),
        sa.UniqueConstraint("feed_id", name=op.f("uq_media_grant_feed_id")),
        sa.UniqueConstraint("token", name=op.f("uq_media_grant_token")),
    )


def downgrade() -> None:
    op.drop_table("media_grant")
    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_event_engagement_id"))

    op.drop_table("live_event")
