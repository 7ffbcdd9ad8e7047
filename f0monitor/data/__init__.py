"""The database: column types, models, migrations and the Flask session glue.

Lives here: ``types`` (the declarative base, ``UTCDateTime``, id limits), ``models`` (the
tables; their CHECK constraints take the state sets from ``domain.states``), ``session``
(one engine and one session per app, ``get_session``, the ``init-db`` command) and
``migrations`` (Alembic).

May import: SQLAlchemy, Alembic and the domain. Flask (and click) only in ``session.py``:
everything else here works without an app. Never services, http, web, api or cli (the
``data`` import-linter contract).
"""
