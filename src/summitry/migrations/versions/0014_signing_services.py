"""signing services: a signatory's certificate kept at a remote signing service (CSC API)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("signing_certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("credential_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("service_token", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signing_certificate", schema=None) as batch_op:
        batch_op.drop_column("service_token")
        batch_op.drop_column("credential_id")
        batch_op.drop_column("service")
