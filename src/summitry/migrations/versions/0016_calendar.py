"""the diplomatic calendar: each engagement's channel, topics and outcomes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Each kind's channel as the models derive it (engagements.models.CHANNEL_OF_KIND), written out
# because a migration must not change when the models do.
_CHANNELS = {
    "video_meeting": "video",
    "video_summit": "video",
    "telephone_call": "telephone",
    "ceremony": "in_person",
}


def upgrade() -> None:
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=24), nullable=False, server_default="video")
        )
        batch_op.add_column(sa.Column("topics", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("outcomes", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_index(batch_op.f("ix_engagement_channel"), ["channel"], unique=False)

    engagement = sa.table("engagement", sa.column("kind", sa.String), sa.column("channel"))
    for kind, channel in _CHANNELS.items():
        op.execute(engagement.update().where(engagement.c.kind == kind).values(channel=channel))


def downgrade() -> None:
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_channel"))
        batch_op.drop_column("outcomes")
        batch_op.drop_column("topics")
        batch_op.drop_column("channel")
