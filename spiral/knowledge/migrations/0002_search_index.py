"""The full-text index: an FTS5 table on SQLite, a GIN expression index on PostgreSQL.

Guarded by vendor: each database gets its own, and the other's SQL never runs.
"""

from django.db import migrations

SQLITE_UP = (
    "CREATE VIRTUAL TABLE knowledge_fts USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
)
SQLITE_DOWN = "DROP TABLE IF EXISTS knowledge_fts"
# The same expression as spiral.knowledge.search.TSVECTOR (with the table alias d), so the planner uses it.
POSTGRES_UP = (
    "CREATE INDEX knowledge_doc_tsv_idx ON knowledge_searchdocument USING GIN ("
    "(setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')))"
)
POSTGRES_DOWN = "DROP INDEX IF EXISTS knowledge_doc_tsv_idx"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
