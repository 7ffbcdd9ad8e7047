"""`data.bulk.ids_in`: a list of ids made per request, as one parameter on either database."""

from __future__ import annotations

import sqlalchemy as sa

from f0monitor.data.bulk import dialect_of, ids_in
from f0monitor.data.models import Patient
from f0monitor.data.session import get_session


def test_ids_in_keeps_the_listed_rows_with_one_parameter(app, make_patient):
    ids = [make_patient().id for _ in range(5)]
    engine = app.extensions["f0monitor.engine"]
    sent: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        sent.append(len(parameters))

    with app.app_context():
        session = get_session()
        dialect = dialect_of(session)

        def kept(wanted: list[int]) -> list[int]:
            sent.clear()
            statement = sa.select(Patient.id).where(ids_in(Patient.id, wanted, dialect)).order_by(Patient.id)
            found = list(session.scalars(statement))
            assert sent == [1]  # one array or one JSON text reaches the driver, however many ids
            return found

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert kept([ids[3], ids[0], 999_999]) == [ids[0], ids[3]]
            assert kept(ids) == ids
            assert kept([]) == []
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
