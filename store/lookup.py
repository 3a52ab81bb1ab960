"""Status lookups by record code and a second factor, safe against enumeration.

A lookup answers only when the code exists *and* the 4 digits match the last 4 of the phone
or ID number given when applying. An unknown code and wrong digits get the same neutral
answer, after the same hashing work. Failures are counted in the database per code and per
conversation, so that every replica sees them; past the limit, lookups are refused for a while,
even with the right digits.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import LookupRefused, RecordCodeDefect, RecordCodeInvalid, StoreUnavailable
from helpdesk.settings import Settings
from store.answer import (
    LookupOutcome,
    LookupResult,
    RecordAnswer,
    found_text_en,
    found_text_vi,
    invalid_code_texts,
    invalid_digits_texts,
    not_found_texts,
)
from store.codes import parse_record_code
from store.hashing import key_hash, log_hash, matches, verification_hash
from store.models import Record
from store.status import RecordStatus, local_date, record_deadline, utc_now
from store.throttle import FailureThrottle
from store.vocabulary import ResultDelivery

logger = logging.getLogger(__name__)

_FOUR_DIGITS = re.compile(r"^[0-9]{4}$")
_MAX_DIGITS_INPUT = 32


def normalise_digits(text: str) -> str | None:
    """The 4 digits of a second factor with spaces removed, or None if it is not 4 digits."""
    if not isinstance(text, str) or len(text) > _MAX_DIGITS_INPUT:
        return None
    compact = "".join(unicodedata.normalize("NFKC", text).split())
    return compact if _FOUR_DIGITS.match(compact) else None


class RecordLookup:
    """Answers "where is my application?" from the record store.

    Args:
        session_factory: Sessions on the record store (see :func:`store.db.make_session_factory`).
        settings: Provides ``secret_key``, ``lookup_max_failures``, ``lookup_window_seconds``,
            ``hotline`` and ``hotline_hours``.
    """

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self._sessions = session_factory
        self._secret = settings.secret_key.get_secret_value()
        self._hotline = settings.hotline
        self._hours = settings.hotline_hours
        self.throttle = FailureThrottle(
            settings.lookup_max_failures, settings.lookup_window_seconds
        )

    def lookup(
        self,
        code_text: str,
        digits: str,
        conversation_id: str,
        now: datetime | None = None,
    ) -> LookupResult:
        """Look a record up by its code and the last 4 digits of the phone or ID number.

        Args:
            code_text: The record code as the citizen typed it.
            digits: The second factor: 4 digits, spaces tolerated.
            conversation_id: Who is asking (the channel's conversation or sender id); failures
                are counted against it as well as against the code.
            now: The current time (timezone-aware); defaults to the clock.

        Returns:
            FOUND with the record's public facts; NOT_FOUND (the same for an unknown code and
            for wrong digits); INVALID_CODE with the reason; or INVALID_DIGITS. Malformed input
            reveals nothing about any record and is not counted as a failure.

        Raises:
            LookupRefused: Too many failures for this code or this conversation within the
                window; ``retry_after_seconds`` says when to try again.
            StoreUnavailable: The database cannot be reached.
        """
        if not conversation_id:
            raise ValueError("conversation_id is required to count failed lookups")
        now = now or utc_now()
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        try:
            code = parse_record_code(code_text).canonical
        except RecordCodeInvalid as exc:
            return self._invalid_code(exc)
        wanted = normalise_digits(digits)
        if wanted is None:
            vi, en = invalid_digits_texts()
            return LookupResult(LookupOutcome.INVALID_DIGITS, vi, en)

        code_key = key_hash(self._secret, "code", code)
        conversation_key = key_hash(self._secret, "conversation", conversation_id)
        keys = (code_key, conversation_key)
        tag = log_hash(self._secret, code)
        try:
            with self._sessions.begin() as session:
                self.throttle.lock(session, keys)
                retry_after = self.throttle.retry_after(session, keys, now)
                if retry_after is not None:
                    logger.info("record lookup refused code=%s retry_after=%s", tag, retry_after)
                    raise LookupRefused(retry_after)
                record = session.scalars(select(Record).where(Record.code == code)).one_or_none()
                candidate = verification_hash(self._secret, code, digits=wanted)
                if record is None:
                    # Same hashing and comparisons as for a known code: no timing tell.
                    ok = matches(candidate, None) | matches(candidate, None)
                else:
                    ok = matches(candidate, record.phone_hash) | matches(candidate, record.id_hash)
                if not ok:
                    self.throttle.record_failure(session, keys, now)
                    logger.info("record lookup not found code=%s", tag)
                    vi, en = not_found_texts(self._hotline)
                    return LookupResult(LookupOutcome.NOT_FOUND, vi, en)
                assert record is not None
                answer = _public_answer(record, now)
        except SQLAlchemyError as exc:
            logger.exception("record store unavailable during lookup code=%s", tag)
            raise StoreUnavailable("the record store cannot be reached") from exc
        logger.info("record lookup found code=%s status=%s", tag, answer.status.value)
        return LookupResult(
            LookupOutcome.FOUND,
            found_text_vi(answer, self._hotline, self._hours),
            found_text_en(answer),
            record=answer,
        )

    def _invalid_code(self, exc: RecordCodeInvalid) -> LookupResult:
        if isinstance(exc, RecordCodeDefect):
            vi, en = invalid_code_texts(exc.message_vi, exc.message)
            reason: str | None = exc.reason
        else:
            vi, en = invalid_code_texts("Mã hồ sơ không hợp lệ.", str(exc))
            reason = None
        logger.info("record lookup invalid code reason=%s", reason)
        return LookupResult(LookupOutcome.INVALID_CODE, vi, en, reason=reason)


def _public_answer(record: Record, now: datetime) -> RecordAnswer:
    """Only the facts a citizen may see; the record holds nothing personal anyway."""
    status = RecordStatus(record.status)
    missing = (
        tuple(record.missing_documents or ()) if status is RecordStatus.WAITING_SUPPLEMENT else ()
    )
    return RecordAnswer(
        code=record.code,
        procedure_code=record.procedure_code,
        status=status,
        received_on=local_date(record.received_at),
        due_on=local_date(record.due_at) if record.due_at else None,
        deadline=record_deadline(status, record.due_at, record.finished_at, now),
        missing_documents=missing,
        result_delivery=ResultDelivery(record.result_delivery) if record.result_delivery else None,
        collect_at=record.collect_at,
    )
