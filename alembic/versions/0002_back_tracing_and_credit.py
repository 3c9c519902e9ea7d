"""back-tracing and credit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_log_entries_subject_idx", "log_entries", ["subject", "idx"], unique=False)

    op.create_table(
        "cases",
        sa.Column("complaint", sa.String(length=64), nullable=False),
        sa.Column("complaint_idx", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("complainant", sa.String(length=32), nullable=False),
        sa.Column("complainant_kind", sa.String(length=24), nullable=False),
        sa.Column("complained_at", sa.DateTime(), nullable=False),
        sa.Column("current_idx", sa.BigInteger(), nullable=True),
        sa.Column("objection_idx", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_idx", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("complaint", name=op.f("pk_cases")),
        sa.UniqueConstraint("complaint_idx", name=op.f("uq_cases_complaint_idx")),
    )
    op.create_index(op.f("ix_cases_complained_at"), "cases", ["complained_at"], unique=False)
    op.create_index("ix_cases_current_idx", "cases", ["current_idx"], unique=False)
    op.create_index(op.f("ix_cases_subject"), "cases", ["subject"], unique=False)
    op.create_table(
        "credit_records",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("by", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_credit_records")),
        sa.UniqueConstraint("hash", name=op.f("uq_credit_records_hash")),
    )
    op.create_index(op.f("ix_credit_records_on"), "credit_records", ["on"], unique=False)
    op.create_index(
        op.f("ix_credit_records_party_id"), "credit_records", ["party_id"], unique=False
    )
    op.create_table(
        "custody_records",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("parcel", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("party_id", sa.String(length=32), nullable=False),
        sa.Column("outlet_id", sa.String(length=32), nullable=True),
        sa.Column("company_id", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_custody_records")),
    )
    op.create_index("ix_custody_records_at", "custody_records", ["at"], unique=False)
    op.create_index(op.f("ix_custody_records_parcel"), "custody_records", ["parcel"], unique=False)
    op.create_table(
        "snapshot_ratings",
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("grade", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("content_hash", "unit_id", name=op.f("pk_snapshot_ratings")),
    )
    op.create_index(
        op.f("ix_snapshot_ratings_unit_id"), "snapshot_ratings", ["unit_id"], unique=False
    )
    op.create_table(
        "snapshots",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("method_version", sa.String(length=20), nullable=False),
        sa.Column("rules_version", sa.String(length=20), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_snapshots")),
        sa.UniqueConstraint("hash", name=op.f("uq_snapshots_hash")),
    )
    op.create_index(op.f("ix_snapshots_as_of"), "snapshots", ["as_of"], unique=False)
    op.create_index(op.f("ix_snapshots_content_hash"), "snapshots", ["content_hash"], unique=False)
    op.create_table(
        "case_records",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("complaint", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("rule", sa.String(length=100), nullable=True),
        sa.Column("rules_version", sa.String(length=20), nullable=True),
        sa.Column("standing", sa.Boolean(), nullable=True),
        sa.Column("verified_purchase", sa.Boolean(), nullable=True),
        sa.Column("finding", sa.String(length=20), nullable=True),
        sa.Column("by", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint"], ["cases.complaint"], name=op.f("fk_case_records_complaint_cases")
        ),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_case_records")),
        sa.UniqueConstraint("hash", name=op.f("uq_case_records_hash")),
    )
    op.create_index(op.f("ix_case_records_complaint"), "case_records", ["complaint"], unique=False)
    op.create_table(
        "case_shares",
        sa.Column("record_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("party_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("share_micro", sa.Integer(), nullable=False),
        sa.Column("party_kind", sa.String(length=24), nullable=False),
        sa.Column("outlet_id", sa.String(length=32), nullable=True),
        sa.Column("company_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_idx"],
            ["case_records.idx"],
            name=op.f("fk_case_shares_record_idx_case_records"),
        ),
        sa.PrimaryKeyConstraint("record_idx", "party_id", name=op.f("pk_case_shares")),
    )


def downgrade() -> None:
    op.drop_index("ix_log_entries_subject_idx", table_name="log_entries")

    op.drop_table("case_shares")
    op.drop_index(op.f("ix_case_records_complaint"), table_name="case_records")
    op.drop_table("case_records")
    op.drop_index(op.f("ix_snapshots_content_hash"), table_name="snapshots")
    op.drop_index(op.f("ix_snapshots_as_of"), table_name="snapshots")
    op.drop_table("snapshots")
    op.drop_index(op.f("ix_snapshot_ratings_unit_id"), table_name="snapshot_ratings")
    op.drop_table("snapshot_ratings")
    op.drop_index(op.f("ix_custody_records_parcel"), table_name="custody_records")
    op.drop_index("ix_custody_records_at", table_name="custody_records")
    op.drop_table("custody_records")
    op.drop_index(op.f("ix_credit_records_party_id"), table_name="credit_records")
    op.drop_index(op.f("ix_credit_records_on"), table_name="credit_records")
    op.drop_table("credit_records")
    op.drop_index(op.f("ix_cases_subject"), table_name="cases")
    op.drop_index("ix_cases_current_idx", table_name="cases")
    op.drop_index(op.f("ix_cases_complained_at"), table_name="cases")
    op.drop_table("cases")
