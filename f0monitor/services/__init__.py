"""Use cases: what a page, an API call or a command asks the product to do.

Each takes a SQLAlchemy session first and ``now`` by keyword, flushes and never commits:
the view or command that calls it commits once, at the edge (``reassess``'s batch commits
aside). Each answers with rows, outcomes, untranslated ``Msg`` values or a ``DomainError``
with a stable code; the caller turns them into a page, JSON or a command's output. Shared
input checks (``inputs``), areas, phones and password hashing live here too, so that every
channel (pages, API, commands, later SMS or offline sync) applies the same rules.

May import: SQLAlchemy, the domain and data (not ``data.session``), and plain libraries.
Never flask, flask_babel, flask_login, flask_wtf, werkzeug, http, web, api or cli (the
``services`` import-linter contract): a service must run outside a request.
"""


class DomainError(Exception):
    """A request the rules refuse; `code` is stable, the message is for people."""

    code = "conflict"

    def __init__(self, message: str = "", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class PhoneTaken(DomainError):
    """A patient with this phone number is already registered."""

    code = "phone_taken"


class NotAllowed(DomainError):
    """The caller may not do this."""

    code = "forbidden"
