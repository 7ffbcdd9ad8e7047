"""On SQLite, the name search gets an index: an FTS5 table of trigrams over ``patient_names``.

PostgreSQL already finds a part of a name through pg_trgm (0012); SQLite scanned every
folded name for a search (89.6 ms a page at 300,000 patients). ``data/name_index.py`` holds
the table and the three triggers that keep it in step, and says why. Nothing is done on
PostgreSQL, nor on a SQLite without FTS5's trigram tokenizer (the search keeps its LIKE).

Revision ID: 0006_name_index
Revises: 0005_patient_names
"""

from alembic import op

from f0monitor.data import name_index

revision = "0006_name_index"
down_revision = "0005_patient_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    name_index.execute(op.get_bind(), create=True)


def downgrade() -> None:
    name_index.execute(op.get_bind(), create=False)
