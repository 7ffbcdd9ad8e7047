"""Messages the inner layers return without translating them (standard library only).

Domain and services never call Babel: they return a ``Msg`` (a message id in English, the
catalogue's key, with its parameters) or mark a bare id with ``N_`` so that ``pybabel extract``
finds it (``-k N_ -k Msg`` in the Makefile). ``http.labels.render`` translates them at the edge,
in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(msgid: str) -> str:
    """Mark a message id for extraction; it is translated where it is shown."""
    return msgid


@dataclass(frozen=True, slots=True)
class Msg:
    """A message id and its %-style parameters (``"at most %(n)s characters"``, n=1000).

    A parameter may itself be a ``Msg``; it is rendered first.
    """

    id: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, id: str, **params: Any) -> None:  # noqa: A002 - gettext's own word
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "params", params)
