"""Shard: uploaded files (docs/files.md).

`files` holds each file's metadata on the shard of its uploader's workspace (its bytes are
a blob named by `sha256`), and `messages.files` the file objects a message shares.

Revision ID: shard_0012
Revises: shard_0011
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0012"
down_revision: str | None = "shard_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.Column("mimetype", sa.String(100), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("upload_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("shares", sa.JSON, nullable=True),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("files", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("files")
    op.drop_table("files")
