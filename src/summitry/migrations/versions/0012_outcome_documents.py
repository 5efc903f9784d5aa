"""outcome documents: texts and versions, amendments, adoption procedures, ballots, signed
copies, the signing authority and signatories' certificates; the log read by kind

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:13:37.235682
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signing_authority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_pem", sa.LargeBinary(), nullable=False),
        sa.Column("key_pem", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_authority")),
    )
    op.create_table(
        "outcome_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "joint_statement",
                "declaration",
                "agreement",
                "communique",
                "chairs_summary",
                name="documentkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("authentic", sa.JSON(), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "draft",
                "under_procedure",
                "adopted",
                "signed",
                name="documentstage",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("adopted_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_outcome_document_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_document")),
    )
    with op.batch_alter_table("outcome_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_document_engagement_id"), ["engagement_id"], unique=False
        )

    op.create_table(
        "signing_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("certificate_pem", sa.LargeBinary(), nullable=False),
        sa.Column("key_pem", sa.LargeBinary(), nullable=False),
        sa.Column("chain_pem", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_signing_certificate_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_certificate")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_signing_certificate_fingerprint")),
    )
    with op.batch_alter_table("signing_certificate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signing_certificate_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "adoption_procedure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "consensus",
                "silence",
                "written_vote",
                name="procedurekind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "adopted",
                "broken",
                "rejected",
                "withdrawn",
                name="procedurestatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["outcome_document.id"],
            name=op.f("fk_adoption_procedure_document_id_outcome_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoption_procedure")),
    )
    with op.batch_alter_table("adoption_procedure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_adoption_procedure_deadline"), ["deadline"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_adoption_procedure_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_adoption_procedure_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_adoption_procedure_status"), ["status"], unique=False)

    op.create_table(
        "amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("paragraph", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "insert", "delete", "replace", name="amendmentaction", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("original", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("bracketed", sa.Boolean(), nullable=False),
        sa.Column("delegation", sa.String(length=12), nullable=False),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "accepted",
                "rejected",
                "merged",
                name="amendmentstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["outcome_document.id"],
            name=op.f("fk_amendment_document_id_outcome_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendment")),
    )
    with op.batch_alter_table("amendment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_amendment_document_id"), ["document_id"], unique=False)

    op.create_table(
        "document_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("made_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["outcome_document.id"],
            name=op.f("fk_document_version_document_id_outcome_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_version")),
        sa.UniqueConstraint(
            "document_id", "number", name=op.f("uq_document_version_document_id_number")
        ),
    )
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_version_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "signed_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("delegation", sa.String(length=12), nullable=True),
        sa.Column("signatory", sa.String(length=200), nullable=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["outcome_document.id"],
            name=op.f("fk_signed_copy_document_id_outcome_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signed_copy")),
        sa.UniqueConstraint(
            "document_id", "revision", name=op.f("uq_signed_copy_document_id_revision")
        ),
    )
    with op.batch_alter_table("signed_copy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signed_copy_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("delegation", sa.String(length=12), nullable=False),
        sa.Column(
            "choice",
            sa.Enum("yes", "no", "abstain", name="choice", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("cast_by", sa.String(length=200), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["adoption_procedure.id"],
            name=op.f("fk_ballot_procedure_id_adoption_procedure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sa.UniqueConstraint(
            "procedure_id", "delegation", name=op.f("uq_ballot_procedure_id_delegation")
        ),
    )
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_procedure_id"), ["procedure_id"], unique=False)

    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_live_event_engagement_id_kind", ["engagement_id", "kind"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.drop_index("ix_live_event_engagement_id_kind")

    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_procedure_id"))

    op.drop_table("ballot")
    with op.batch_alter_table("signed_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_copy_document_id"))

    op.drop_table("signed_copy")
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_version_document_id"))

    op.drop_table("document_version")
    with op.batch_alter_table("amendment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_amendment_document_id"))

    op.drop_table("amendment")
    with op.batch_alter_table("adoption_procedure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adoption_procedure_status"))
        batch_op.drop_index(batch_op.f("ix_adoption_procedure_engagement_id"))
        batch_op.drop_index(batch_op.f("ix_adoption_procedure_document_id"))
        batch_op.drop_index(batch_op.f("ix_adoption_procedure_deadline"))

    op.drop_table("adoption_procedure")
    with op.batch_alter_table("signing_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_certificate_person_id"))

    op.drop_table("signing_certificate")
    with op.batch_alter_table("outcome_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_document_engagement_id"))

    op.drop_table("outcome_document")
    op.drop_table("signing_authority")
