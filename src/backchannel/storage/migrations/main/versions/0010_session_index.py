"""Main DB: a browser's sessions are found by their cookie (docs/web-client.md).

Several people may be signed in in one browser, each token bound to its one `d` cookie:
sign-in looks for live tokens on the cookie it is sent (to join it), and sign-out for the
ones left on it (to drop it or keep it).

Revision ID: main_0010
Revises: main_0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "main_0010"
down_revision: str | None = "main_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tokens_session", "tokens", ["session_hash"])


def downgrade() -> None:
    op.drop_index("ix_tokens_session", table_name="tokens")
