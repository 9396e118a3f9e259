"""Main DB: browser sessions, a token that needs its session cookie too (docs/web-client.md).

Revision ID: main_0004
Revises: main_0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0004"
down_revision: str | None = "main_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The SHA-256 of the session's http-only cookie; null for API tokens (xoxp, xoxb).
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("session_hash", sa.String(64), nullable=True))
    # The web client's sign-in may name no workspace: it looks the email up everywhere.
    op.create_index("ix_credentials_email", "credentials", ["email"])


def downgrade() -> None:
    op.drop_index("ix_credentials_email", table_name="credentials")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("session_hash")
