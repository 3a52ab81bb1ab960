"""What a status lookup finds: its outcome and the record's public facts, never prose.

The citizen's text is written from these by :mod:`store.replies`, from the message catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from store.status import DeadlineClass, RecordStatus
from store.vocabulary import ResultDelivery


class LookupOutcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    """Unknown code or wrong digits: deliberately the same answer for both."""
    INVALID_CODE = "invalid_code"
    INVALID_DIGITS = "invalid_digits"


@dataclass(frozen=True, slots=True)
class RecordAnswer:
    """Everything a citizen may learn about a record, and nothing personal."""

    code: str
    procedure_code: str
    status: RecordStatus
    received_on: date
    due_on: date | None
    deadline: DeadlineClass | None
    missing_documents: tuple[str, ...]
    result_delivery: ResultDelivery | None
    collect_at: str | None

    @property
    def overdue(self) -> bool:
        return self.deadline is DeadlineClass.OVERDUE

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "procedure_code": self.procedure_code,
            "status": self.status.value,
            "received_on": self.received_on.isoformat(),
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "deadline": self.deadline.value if self.deadline else None,
            "overdue": self.overdue,
            "missing_documents": list(self.missing_documents),
            "result_delivery": self.result_delivery.value if self.result_delivery else None,
            "collect_at": self.collect_at,
        }


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The outcome of one lookup: what happened, and the facts needed to say it.

    ``record`` is set only when ``outcome`` is FOUND; ``reason`` (a
    :class:`~helpdesk.errors.RecordCodeDefect` reason key, with its ``details``) only when it
    is INVALID_CODE; ``both_factors`` says whether the citizen gave 8 digits rather than 4.
    """

    outcome: LookupOutcome
    record: RecordAnswer | None = None
    reason: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    both_factors: bool = False

    @property
    def found(self) -> bool:
        return self.outcome is LookupOutcome.FOUND

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "record": self.record.to_dict() if self.record else None,
            "reason": self.reason,
            "details": {name: str(value) for name, value in self.details.items()},
            "both_factors": self.both_factors,
        }
