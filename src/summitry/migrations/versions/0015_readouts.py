"""readouts of engagements, their approvals, and the full-text index of the record

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:20:00

The index of ``record_text`` is each database's own: on PostgreSQL a GIN index on the
``tsvector`` of its title and body ('simple' configuration: the record is in many languages,
and 'simple' finds the same words as SQLite's tokenizer); on SQLite an FTS5 table over it,
external content, kept by triggers so that every insert, update and delete reaches it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIENCE = sa.Enum("public", "restricted", name="audience", native_enum=False, length=24)
STAGE = sa.Enum("draft", "approved", "published", name="readoutstage", native_enum=False, length=24)

SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE record_text_fts USING fts5(title, body, content='record_text', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER record_text_ai AFTER INSERT ON record_text BEGIN "
    "INSERT INTO record_text_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER record_text_ad AFTER DELETE ON record_text BEGIN "
    "INSERT INTO record_text_fts(record_text_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER record_text_au AFTER UPDATE ON record_text BEGIN "
    "INSERT INTO record_text_fts(record_text_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO record_text_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
POSTGRESQL_INDEX = (
    "CREATE INDEX ix_record_text_words ON record_text "
    "USING gin (to_tsvector('simple', title || ' ' || body))"
)


def upgrade() -> None:
    op.create_table(
        "readout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("delegation", sa.String(length=12), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("audience", AUDIENCE, nullable=False),
        sa.Column("embargo_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stage", STAGE, nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("drafted_by", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_readout_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readout")),
    )
    with op.batch_alter_table("readout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_readout_engagement_id"), ["engagement_id"])
        batch_op.create_index(batch_op.f("ix_readout_delegation"), ["delegation"])

    op.create_table(
        "readout_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("readout_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("audience", AUDIENCE, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visible_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["readout_id"],
            ["readout.id"],
            name=op.f("fk_readout_version_readout_id_readout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readout_version")),
        sa.UniqueConstraint(
            "readout_id", "number", name=op.f("uq_readout_version_readout_id_number")
        ),
    )
    with op.batch_alter_table("readout_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_readout_version_readout_id"), ["readout_id"])
        batch_op.create_index(batch_op.f("ix_readout_version_visible_from"), ["visible_from"])

    op.create_table(
        "record_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("visible_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audience", AUDIENCE, nullable=False),
        sa.Column("source_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_record_text_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_text")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_record_text_kind_ref_id")),
    )
    with op.batch_alter_table("record_text", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_text_engagement_id"), ["engagement_id"])

    op.create_table(
        "record_index_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_index_mark")),
    )

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_INDEX:
            op.execute(statement)
    else:
        op.execute(POSTGRESQL_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("record_text_au", "record_text_ad", "record_text_ai"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE record_text_fts")
    else:
        op.execute("DROP INDEX ix_record_text_words")
    op.drop_table("record_index_mark")
    with op.batch_alter_table("record_text", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_text_engagement_id"))
    op.drop_table("record_text")
    with op.batch_alter_table("readout_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_readout_version_visible_from"))
        batch_op.drop_index(batch_op.f("ix_readout_version_readout_id"))
    op.drop_table("readout_version")
    with op.batch_alter_table("readout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_readout_delegation"))
        batch_op.drop_index(batch_op.f("ix_readout_engagement_id"))
    op.drop_table("readout")
