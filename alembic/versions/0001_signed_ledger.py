"""signed ledger

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "log_entries",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("integrated_at", sa.DateTime(), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_log_entries")),
        sa.UniqueConstraint("hash", name=op.f("uq_log_entries_hash")),
    )
    op.create_index("uq_log_entries_subject_prev", "log_entries", ["subject", "prev"], unique=True)
    op.create_table(
        "log_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_log_nodes")),
    )
    op.create_table(
        "parcel_items",
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("parcel", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("item", "parcel", name=op.f("pk_parcel_items")),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("company_id", sa.String(length=32), nullable=True),
        sa.Column("outlet_id", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered_by", sa.String(length=32), nullable=True),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["parties.id"], name=op.f("fk_parties_company_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["parties.id"], name=op.f("fk_parties_outlet_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by"], ["parties.id"], name=op.f("fk_parties_registered_by_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("uscc", name=op.f("uq_parties_uscc")),
    )
    op.create_index(op.f("ix_parties_company_id"), "parties", ["company_id"], unique=False)
    op.create_index(op.f("ix_parties_kind"), "parties", ["kind"], unique=False)
    op.create_table(
        "personal_data",
        sa.Column("parcel", sa.String(length=200), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("parcel", name=op.f("pk_personal_data")),
    )
    op.create_table(
        "subjects",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("head_idx", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
    )
    op.create_table(
        "credentials",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_credentials_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_credentials")),
    )
    op.create_index(op.f("ix_credentials_party_id"), "credentials", ["party_id"], unique=False)
    op.create_table(
        "party_keys",
        sa.Column("keyid", sa.String(length=16), nullable=False),
        sa.Column("party_id", sa.String(length=32), nullable=True),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("enrolled_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrolled_by"], ["parties.id"], name=op.f("fk_party_keys_enrolled_by_parties")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_party_keys_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("keyid", name=op.f("pk_party_keys")),
    )
    op.create_index(op.f("ix_party_keys_party_id"), "party_keys", ["party_id"], unique=False)
    op.create_table(
        "personal_data_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=32), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_personal_data_reads_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_reads")),
    )
    op.create_index(
        op.f("ix_personal_data_reads_parcel"), "personal_data_reads", ["parcel"], unique=False
    )
    op.create_index(
        op.f("ix_personal_data_reads_party_id"), "personal_data_reads", ["party_id"], unique=False
    )
    op.create_table(
        "products",
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("producer", sa.String(length=200), nullable=False),
        sa.Column("licences", sa.JSON(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["parties.id"], name=op.f("fk_products_merchant_id_parties")
        ),
        sa.PrimaryKeyConstraint("gtin", name=op.f("pk_products")),
    )
    op.create_index(op.f("ix_products_merchant_id"), "products", ["merchant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_products_merchant_id"), table_name="products")
    op.drop_table("products")
    op.drop_index(op.f("ix_personal_data_reads_party_id"), table_name="personal_data_reads")
    op.drop_index(op.f("ix_personal_data_reads_parcel"), table_name="personal_data_reads")
    op.drop_table("personal_data_reads")
    op.drop_index(op.f("ix_party_keys_party_id"), table_name="party_keys")
    op.drop_table("party_keys")
    op.drop_index(op.f("ix_credentials_party_id"), table_name="credentials")
    op.drop_table("credentials")
    op.drop_table("subjects")
    op.drop_table("personal_data")
    op.drop_index(op.f("ix_parties_kind"), table_name="parties")
    op.drop_index(op.f("ix_parties_company_id"), table_name="parties")
    op.drop_table("parties")
    op.drop_table("parcel_items")
    op.drop_table("log_nodes")
    op.drop_index("uq_log_entries_subject_prev", table_name="log_entries")
    op.drop_table("log_entries")
    op.drop_table("checkpoints")
