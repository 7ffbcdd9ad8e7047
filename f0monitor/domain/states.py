"""Every state set of the product, defined once: roles, patient statuses, tiers, alert and
transfer states and the other closed vocabularies the database stores.

Standard library only. The models build their CHECK constraints from these enums and the
lifecycles (``domain.alerts``, ``domain.transfers``) their transitions, so a value exists in
one place. Members are ``str`` subclasses: ``PatientStatus.ACTIVE == "active"``.
"""

from __future__ import annotations

from enum import Enum, StrEnum


def values(enum: type[Enum]) -> tuple[str, ...]:
    """Return the stored values of an enum, in declaration order."""
    return tuple(str(member.value) for member in enum)


class Role(StrEnum):
    """Who a login is: a patient, a member of staff, or the health department."""

    PATIENT = "patient"
    VOLUNTEER = "volunteer"
    DOCTOR = "doctor"
    COORDINATOR = "coordinator"
    DEPARTMENT = "department"
    ADMIN = "admin"
    FACILITY = "facility"  # a receiving hospital's staff, scoped to one facility


STAFF_ROLES: tuple[str, ...] = (Role.VOLUNTEER, Role.DOCTOR, Role.COORDINATOR, Role.ADMIN)


class PatientStatus(StrEnum):
    """Where a patient's home treatment stands; only ``ACTIVE`` patients report and are queued."""

    ACTIVE = "active"
    TRANSFERRED = "transferred"
    RECOVERED = "recovered"
    DECEASED = "deceased"
    WITHDRAWN = "withdrawn"


class AlertState(StrEnum):
    """The alert lifecycle (``domain.alerts``): open → acknowledged → resolved."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertOutcome(StrEnum):
    """What was done about an alert when it was resolved."""

    ADVISED_AT_HOME = "advised_at_home"
    TRANSFER = "transfer"
    FALSE_ALARM = "false_alarm"
    UNREACHABLE = "unreachable"


class TransferState(StrEnum):
    """The emergency transfer lifecycle (``domain.transfers``)."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    ARRIVED = "arrived"
    ADMITTED = "admitted"
    CANCELLED = "cancelled"
    REFUSED = "refused"


class BedType(StrEnum):
    """The kinds of hospital bed a transfer may need (CARE tracks the same four)."""

    GENERAL = "general"
    OXYGEN = "oxygen"
    ICU = "icu"
    VENTILATOR = "ventilator"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"


class TestType(StrEnum):
    __test__ = False  # not a pytest class
    PCR = "pcr"
    RAPID_ANTIGEN = "rapid_antigen"


class ReportChannel(StrEnum):
    """How a report reached us: every channel goes through one submission path."""

    SELF = "self"
    STAFF = "staff"
    API = "api"
    SEED = "seed"
    IMPORT = "import"


class ContactChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    ZALO = "zalo"
    VISIT = "visit"


class ContactOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    VISITED = "visited"


class ConsultCategory(StrEnum):
    MEDICAL = "medical"
    TESTING = "testing"
    VIOLATION = "violation"
    EMERGENCY = "emergency"


class ConsultState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    FORWARDED = "forwarded"


class Tier(str, Enum):  # noqa: UP042 - the interface others code against is str + Enum
    """Triage colour of 5525/QĐ-BYT, ordered green < yellow < orange < red."""

    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def rank(self) -> int:
        """Return 0 for green up to 3 for red."""
        return _TIER_RANK[self]

    # str's own ordering would be alphabetical ("green" < "orange" < "red" < "yellow").
    def __lt__(self, other: object) -> bool:
        o = _as_tier(other)
        return NotImplemented if o is None else _TIER_RANK[self] < _TIER_RANK[o]

    def __le__(self, other: object) -> bool:
        o = _as_tier(other)
        return NotImplemented if o is None else _TIER_RANK[self] <= _TIER_RANK[o]

    def __gt__(self, other: object) -> bool:
        o = _as_tier(other)
        return NotImplemented if o is None else _TIER_RANK[self] > _TIER_RANK[o]

    def __ge__(self, other: object) -> bool:
        o = _as_tier(other)
        return NotImplemented if o is None else _TIER_RANK[self] >= _TIER_RANK[o]


_TIERS = (Tier.GREEN, Tier.YELLOW, Tier.ORANGE, Tier.RED)
_TIER_RANK = {t: i for i, t in enumerate(_TIERS)}


def _as_tier(value: object) -> Tier | None:
    if isinstance(value, Tier):
        return value
    if isinstance(value, str):
        return Tier(value)  # an unknown colour raises ValueError rather than compare by name
    return None


def max_tier(*tiers: Tier | str) -> Tier:
    """Return the highest of the tiers given (green when none is given)."""
    rank = 0
    for t in tiers:
        r = _TIER_RANK[t] if isinstance(t, Tier) else _TIER_RANK[Tier(t)]
        if r > rank:
            rank = r
    return _TIERS[rank]
