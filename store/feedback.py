"""Ratings of the assistant's answers: thumbs up/down or 1–5, and nothing personal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import FeedbackInvalid
from store.models import RATINGS, Feedback
from store.status import utc_now

_THUMBS = {"up": "up", "down": "down", "👍": "up", "👎": "down", "+1": "up", "-1": "down"}
_PROCEDURE_CODE = re.compile(r"^\d\.\d{6}$")
_MAX_ID_CHARS = 128


def normalise_rating(rating: str | int) -> str:
    """``"up"``/``"down"`` (or 👍/👎) or a score 1–5, as stored.

    Raises:
        FeedbackInvalid: Anything else.
    """
    if isinstance(rating, bool):
        raise FeedbackInvalid(f"rating must be up, down or 1–5, not {rating!r}")
    if isinstance(rating, int):
        text = str(rating)
    else:
        text = _THUMBS.get(rating.strip().lower(), rating.strip())
    if text not in RATINGS:
        raise FeedbackInvalid(f"rating must be up, down or 1–5, not {str(rating)[:20]!r}")
    return text


def _check_id(name: str, value: str | None, *, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise FeedbackInvalid(f"{name} is required")
        return None
    if len(value) > _MAX_ID_CHARS:
        raise FeedbackInvalid(f"{name} is longer than {_MAX_ID_CHARS} characters")
    return value


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    """Counts of each rating over a period."""

    total: int
    by_rating: dict[str, int]


def record_feedback(
    session_factory: sessionmaker[Session],
    *,
    conversation_id: str,
    rating: str | int,
    procedure_code: str | None = None,
    message_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """Store one rating and return its id.

    Args:
        session_factory: Sessions on the record store.
        conversation_id: The conversation rated (an opaque channel id).
        rating: ``"up"``, ``"down"`` or 1–5.
        procedure_code: The procedure the rated answer was about (``d.dddddd``), if any.
        message_id: The rated bot message, if the channel has ids.
        now: The time to record; defaults to the clock.

    Raises:
        FeedbackInvalid: A bad rating, a missing conversation id or a malformed procedure code.
    """
    stored_rating = normalise_rating(rating)
    conversation = _check_id("conversation_id", conversation_id, required=True)
    assert conversation is not None
    if procedure_code is not None and not _PROCEDURE_CODE.match(procedure_code):
        raise FeedbackInvalid(
            f"procedure_code must look like 1.001193, not {procedure_code[:20]!r}"
        )
    row = Feedback(
        conversation_id=conversation,
        rating=stored_rating,
        procedure_code=procedure_code,
        message_id=_check_id("message_id", message_id, required=False),
        created_at=now or utc_now(),
    )
    with session_factory.begin() as session:
        session.add(row)
        session.flush()
        return row.id


def feedback_summary(
    session_factory: sessionmaker[Session], since: datetime | None = None
) -> FeedbackSummary:
    """How many of each rating were given (since ``since``, if given)."""
    query = select(Feedback.rating, func.count()).group_by(Feedback.rating)
    if since is not None:
        query = query.where(Feedback.created_at >= since)
    with session_factory() as session:
        counts = {rating: int(n) for rating, n in session.execute(query)}
    return FeedbackSummary(total=sum(counts.values()), by_rating=counts)
