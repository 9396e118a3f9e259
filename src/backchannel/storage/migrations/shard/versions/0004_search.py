"""Shard: a full-text index over messages.text for search.messages.

SQLite: an FTS5 external-content table `messages_fts` (it stores only the index; the text
stays in `messages`, joined by rowid), kept in step by triggers. Only messages that are not
deleted are indexed, so a deleted message is never found and its text leaves the index.

PostgreSQL: a GIN index on to_tsvector('simple', text). 'simple' lower-cases words and
does not stem or drop stop words: messages are in every language, 'english' would stem
"gaming" to "game" but mangle other languages and drop words such as "the" or "it", and
'simple' finds the same words SQLite's unicode61 tokenizer finds, so a workspace's search
behaves alike on either engine. storage/shard/search.py must use the very same expression.

Beware (SQLite): the index is keyed by the messages rowid and lives off triggers on
`messages`. A later migration that rebuilds `messages` (batch_alter_table recreating the
table) drops these triggers and may renumber rows: it must recreate the triggers and run
`INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')` (or re-run the backfill below).

Revision ID: shard_0004
Revises: shard_0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "shard_0004"
down_revision: str | None = "shard_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Diacritics are kept (remove_diacritics 0) because PostgreSQL's 'simple' keeps them too.
_SQLITE_UP = [
    """CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content='messages', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
        WHEN new.deleted = 0 BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, new.text);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.deleted = 0 BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END""",
    # An edit replaces the indexed text; marking a message deleted removes it.
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, deleted ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text)
            SELECT 'delete', old.rowid, old.text WHERE old.deleted = 0;
        INSERT INTO messages_fts(rowid, text)
            SELECT new.rowid, new.text WHERE new.deleted = 0;
    END""",
    # Not 'rebuild': that would index deleted messages too, which the triggers never remove.
    "INSERT INTO messages_fts(rowid, text) SELECT rowid, text FROM messages WHERE deleted = 0",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TABLE IF EXISTS messages_fts",
]
# Built in the migration's transaction (not CONCURRENTLY): writes to messages wait for it.
_POSTGRES_UP = [
    "CREATE INDEX ix_messages_text_search ON messages USING gin (to_tsvector('simple', text))"
]
_POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_messages_text_search"]


def _run(statements: dict[str, list[str]]) -> None:
    dialect = op.get_bind().dialect.name
    if dialect not in statements:
        raise NotImplementedError(
            f"no full-text search for {dialect}; expected sqlite or postgresql"
        )
    for statement in statements[dialect]:
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": _SQLITE_UP, "postgresql": _POSTGRES_UP})


def downgrade() -> None:
    _run({"sqlite": _SQLITE_DOWN, "postgresql": _POSTGRES_DOWN})
