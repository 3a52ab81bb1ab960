"""Status lookups by record code and a second factor, safe against guessing and lock-outs.

A lookup answers only when the code exists *and* the second factor matches the record: the last
4 digits of the phone OR of the ID number given when applying, or both at once (8 digits, in
either order). An unknown code and a wrong factor get the same neutral answer, after the same
hashing work.

Failures are counted in the database (so that every replica sees them) under three keyed
hashes: the code and the asker together, the asker (``source``), and the code. See
``docs/architecture.md`` ("Record lookups: who can be locked out, by whom"):

* an asker who failed one code ``lookup_max_failures`` times is refused for that code only;
* an asker who failed ``lookup_max_source_failures`` times over any codes is refused;
* a code failed ``lookup_max_code_failures`` times by everybody together is *guarded*: 4 digits
  are refused for every asker, while both factors at once are still accepted, so a stranger
  cannot lock the owner out.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import (
    LookupRefused,
    RecordCodeDefect,
    RecordCodeInvalid,
    RefusalScope,
    StoreUnavailable,
)
from helpdesk.settings import Settings
from store.codes import parse_record_code
from store.hashing import key_hash, log_hash, matches, verification_hash
from store.models import Record
from store.outcomes import LookupOutcome, LookupResult, RecordAnswer
from store.status import RecordStatus, local_date, record_deadline, utc_now
from store.throttle import FailureThrottle, Limit
from store.vocabulary import ResultDelivery

logger = logging.getLogger(__name__)

_MAX_DIGITS_INPUT = 32
# Spaces, dots and dashes (ASCII and typographic) may separate the digits; nothing else.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")
_DIGITS = re.compile(r"^(?:[0-9]{4}|[0-9]{8})$")


@dataclass(frozen=True, slots=True, repr=False)
class Factor:
    """A second factor as the citizen gave it.

    One group of 4 digits: the last 4 of the phone *or* of the ID number. Two groups: the last
    4 of the phone *and* the last 4 of the ID number, in either order. ``str()`` gives the
    canonical text (``"1234"`` or ``"1234 5678"``); ``repr()`` never shows the digits.
    """

    groups: tuple[str] | tuple[str, str]

    def __post_init__(self) -> None:
        if not 1 <= len(self.groups) <= 2 or not all(
            len(g) == 4 and g.isascii() and g.isdigit() for g in self.groups
        ):
            raise ValueError("a second factor is one or two groups of 4 digits")

    @property
    def both(self) -> bool:
        """True for the two-group form (phone and ID number together)."""
        return len(self.groups) == 2

    def __str__(self) -> str:
        return " ".join(self.groups)

    def __repr__(self) -> str:
        return f"Factor(<{4 * len(self.groups)} digits>)"


def parse_factor(text: str) -> Factor | None:
    """The second factor in ``text``, or None if it is neither 4 nor 8 digits.

    Spaces, dots and dashes are ignored anywhere (``"12 34"``, ``"1234 5678"``,
    ``"1234.5678"``, ``"1234-5678"``); full-width digits count as digits, other scripts' do not.
    """
    if not isinstance(text, str) or len(text) > _MAX_DIGITS_INPUT:
        return None
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if not _DIGITS.match(compact):
        return None
    if len(compact) == 4:
        return Factor((compact,))
    return Factor((compact[:4], compact[4:]))


def normalise_digits(text: str) -> str | None:
    """The second factor's canonical text (``"1234"`` or ``"1234 5678"``), or None if invalid.

    For validating what a citizen typed: the text returned is accepted by
    :meth:`RecordLookup.lookup` as it is.
    """
    factor = parse_factor(text)
    return None if factor is None else str(factor)


@dataclass(frozen=True, slots=True)
class LookupLimits:
    """The three limits on failed lookups (``helpdesk/settings.py``, ``lookup_*``)."""

    per_code_source: int
    per_source: int
    per_code: int
    window: timedelta
    code_window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> LookupLimits:
        return cls(
            per_code_source=max(1, settings.lookup_max_failures),
            per_source=max(1, settings.lookup_max_source_failures),
            per_code=max(1, settings.lookup_max_code_failures),
            window=timedelta(seconds=max(1, settings.lookup_window_seconds)),
            code_window=timedelta(seconds=max(1, settings.lookup_code_window_seconds)),
        )


@dataclass(frozen=True, slots=True)
class _Keys:
    """The keyed hashes one attempt's failure counts against."""

    code_source: str
    source: str
    code: str

    def all(self) -> tuple[str, str, str]:
        return (self.code_source, self.source, self.code)


class RecordLookup:
    """Answers "where is my application?" from the record store.

    Args:
        session_factory: Sessions on the record store (see :func:`store.db.make_session_factory`).
        settings: Provides ``secret_key`` and the ``lookup_*`` limits.
    """

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self._sessions = session_factory
        self._secret = settings.secret_key.get_secret_value()
        self.limits = LookupLimits.from_settings(settings)
        self.throttle = FailureThrottle(max(self.limits.window, self.limits.code_window))

    def lookup(
        self,
        code_text: str,
        digits: str | Factor,
        conversation_id: str,
        *,
        source: str | None = None,
        now: datetime | None = None,
    ) -> LookupResult:
        """Look a record up by its code and a second factor.

        Args:
            code_text: The record code as the citizen typed it.
            digits: The second factor: the last 4 digits of the phone or of the ID number, or
                both (8 digits: phone and ID number, either order); spaces, dots and dashes
                tolerated. A :class:`Factor` is taken as it is.
            conversation_id: The channel's conversation id; it stands for the asker when
                ``source`` is None.
            source: A keyed hash of who is asking, harder to mint than a conversation id (the
                web client's address, the Telegram user). Failures are counted against it.
            now: The current time (timezone-aware); defaults to the clock.

        Returns:
            FOUND with the record's public facts; NOT_FOUND (the same for an unknown code and
            for a wrong factor); INVALID_CODE with the reason; or INVALID_DIGITS. Malformed
            input reveals nothing about any record and is not counted as a failure.

        Raises:
            LookupRefused: Too many failures; ``scope`` says whose (``source``: this asker
                over any codes; ``code_source``: this asker on this code; ``code_guarded``:
                everybody on this code, and only 4 digits were given) and
                ``retry_after_seconds`` when to try again. Refused attempts are not counted.
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
        factor = digits if isinstance(digits, Factor) else parse_factor(digits)
        if factor is None:
            return LookupResult(LookupOutcome.INVALID_DIGITS)

        # A given source and a conversation id never share a key, whatever their text.
        asker = ("given", source) if source else ("conversation", conversation_id)
        keys = _Keys(
            code_source=key_hash(self._secret, "code-source", code, *asker),
            source=key_hash(self._secret, "source", *asker),
            code=key_hash(self._secret, "code", code),
        )
        tag = log_hash(self._secret, code)
        try:
            with self._sessions.begin() as session:
                self.throttle.lock(session, keys.all())
                refusal = self._refusal(session, keys, factor, now)
                if refusal is not None:
                    scope, retry_after = refusal
                    logger.info(
                        "record lookup refused code=%s scope=%s retry_after=%s",
                        tag,
                        scope,
                        retry_after,
                    )
                    raise LookupRefused(retry_after, scope)
                record = session.scalars(select(Record).where(Record.code == code)).one_or_none()
                if not self._verify(code, factor, record):
                    self.throttle.record_failure(session, keys.all(), now)
                    logger.info("record lookup not found code=%s both=%s", tag, factor.both)
                    return LookupResult(LookupOutcome.NOT_FOUND, both_factors=factor.both)
                assert record is not None
                answer = _public_answer(record, now)
        except SQLAlchemyError as exc:
            logger.exception("record store unavailable during lookup code=%s", tag)
            raise StoreUnavailable("the record store cannot be reached") from exc
        logger.info(
            "record lookup found code=%s both=%s status=%s", tag, factor.both, answer.status.value
        )
        return LookupResult(LookupOutcome.FOUND, record=answer, both_factors=factor.both)

    def _refusal(
        self, session: Session, keys: _Keys, factor: Factor, now: datetime
    ) -> tuple[RefusalScope, int] | None:
        """Whether this attempt is refused, and why: the broadest reason first."""
        limits = self.limits
        checks: list[tuple[RefusalScope, Limit]] = [
            ("source", Limit(keys.source, limits.per_source, limits.window)),
            ("code_source", Limit(keys.code_source, limits.per_code_source, limits.window)),
        ]
        if not factor.both:
            # A guarded code still accepts both factors at once: only 4 digits are refused.
            checks.append(("code_guarded", Limit(keys.code, limits.per_code, limits.code_window)))
        for scope, limit in checks:
            retry_after = self.throttle.retry_after(session, limit, now)
            if retry_after is not None:
                return scope, retry_after
        return None

    def _verify(self, code: str, factor: Factor, record: Record | None) -> bool:
        """Whether ``factor`` opens ``record``; the same work whether the record exists or not.

        Every comparison is made, without short-circuits; a missing hash (unknown code, or a
        record without that factor) is compared with a dummy and never matches.
        """
        phone = record.phone_hash if record is not None else None
        id_number = record.id_hash if record is not None else None
        candidates = [verification_hash(self._secret, code, digits=g) for g in factor.groups]
        if len(candidates) == 1:
            (one,) = candidates
            return matches(one, phone) | matches(one, id_number)
        first, second = candidates
        in_order = matches(first, phone) & matches(second, id_number)
        swapped = matches(first, id_number) & matches(second, phone)
        return in_order | swapped

    def _invalid_code(self, exc: RecordCodeInvalid) -> LookupResult:
        defect = RecordCodeDefect.of(exc)
        logger.info("record lookup invalid code reason=%s", defect.reason)
        return LookupResult(
            LookupOutcome.INVALID_CODE, reason=defect.reason, details=defect.details
        )


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
