"""The record store: application records for status lookups, feedback and handoff notes.

Names are re-exported lazily, so that ``from store.cli import records_app`` (run on every
``helpdesk`` start) does not pay for SQLAlchemy and Alembic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.answer import LookupOutcome, LookupResult, RecordAnswer, refused_texts
    from store.codes import CodeShape, RecordCode, parse_record_code
    from store.db import (
        current_revision,
        head_revision,
        make_engine,
        make_session_factory,
        migrate,
    )
    from store.demo import DemoRecord, DemoSeed, seed_demo
    from store.feedback import FeedbackSummary, feedback_summary, record_feedback
    from store.handoff import (
        HandoffView,
        close_handoff,
        open_handoff,
        open_handoffs,
        sanitize_note,
    )
    from store.importer import ImportReport, import_records_csv
    from store.lookup import RecordLookup, normalise_digits
    from store.status import DeadlineClass, RecordStatus, deadline_class, record_deadline
    from store.vocabulary import Channel, ResultDelivery

_EXPORTS: dict[str, str] = {
    "LookupOutcome": "store.answer",
    "LookupResult": "store.answer",
    "RecordAnswer": "store.answer",
    "refused_texts": "store.answer",
    "CodeShape": "store.codes",
    "RecordCode": "store.codes",
    "parse_record_code": "store.codes",
    "current_revision": "store.db",
    "head_revision": "store.db",
    "make_engine": "store.db",
    "make_session_factory": "store.db",
    "migrate": "store.db",
    "DemoRecord": "store.demo",
    "DemoSeed": "store.demo",
    "seed_demo": "store.demo",
    "FeedbackSummary": "store.feedback",
    "feedback_summary": "store.feedback",
    "record_feedback": "store.feedback",
    "HandoffView": "store.handoff",
    "close_handoff": "store.handoff",
    "open_handoff": "store.handoff",
    "open_handoffs": "store.handoff",
    "sanitize_note": "store.handoff",
    "ImportReport": "store.importer",
    "import_records_csv": "store.importer",
    "RecordLookup": "store.lookup",
    "normalise_digits": "store.lookup",
    "DeadlineClass": "store.status",
    "RecordStatus": "store.status",
    "deadline_class": "store.status",
    "record_deadline": "store.status",
    "Channel": "store.vocabulary",
    "ResultDelivery": "store.vocabulary",
}

__all__ = [
    "Channel",
    "CodeShape",
    "DeadlineClass",
    "DemoRecord",
    "DemoSeed",
    "FeedbackSummary",
    "HandoffView",
    "ImportReport",
    "LookupOutcome",
    "LookupResult",
    "RecordAnswer",
    "RecordCode",
    "RecordLookup",
    "RecordStatus",
    "ResultDelivery",
    "close_handoff",
    "current_revision",
    "deadline_class",
    "feedback_summary",
    "head_revision",
    "import_records_csv",
    "make_engine",
    "make_session_factory",
    "migrate",
    "normalise_digits",
    "open_handoff",
    "open_handoffs",
    "parse_record_code",
    "record_deadline",
    "record_feedback",
    "refused_texts",
    "sanitize_note",
    "seed_demo",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'store' has no attribute {name!r}")
    return getattr(import_module(module), name)
