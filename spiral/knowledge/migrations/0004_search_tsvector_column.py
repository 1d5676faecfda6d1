"""PostgreSQL: keep each document's tsvector in a stored generated column, indexed with GIN.

Ranking (ts_rank_cd) reads the tsvector of every matching document; from an expression index it had to
be recomputed from the text for each one (hundreds of ms for common words on the national demo). The
column is PostgreSQL's alone (SQLite has its FTS5 table), so the model does not declare it.
"""

from django.db import migrations

UP = [
    "ALTER TABLE knowledge_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED",
    "CREATE INDEX knowledge_doc_tsv_col_idx ON knowledge_searchdocument USING GIN (tsv)",
    "DROP INDEX IF EXISTS knowledge_doc_tsv_idx",
]
DOWN = [
    "CREATE INDEX knowledge_doc_tsv_idx ON knowledge_searchdocument USING GIN ("
    "(setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')))",
    "DROP INDEX IF EXISTS knowledge_doc_tsv_col_idx",
    "ALTER TABLE knowledge_searchdocument DROP COLUMN IF EXISTS tsv",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in UP:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_search_document_indexed_at")]

    operations = [migrations.RunPython(forwards, backwards)]
