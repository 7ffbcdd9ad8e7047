"""Use cases. Each takes the session first and `now` as a keyword; none commits.

The view or command that calls them commits once, at the edge of the request.
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
