"""What a record lookup says to the citizen, written from its outcome and the catalogue.

:mod:`store.lookup` returns facts (:class:`~store.outcomes.LookupResult`); the action server and
``helpdesk records lookup`` turn them into text here, in the citizen's language, from
``helpdesk/messages.yml``.
"""

from __future__ import annotations

from helpdesk.errors import RecordCodeDefect, RefusalScope
from helpdesk.messages import text
from store.outcomes import LookupOutcome, LookupResult, RecordAnswer
from store.status import RecordStatus


def result_text(
    result: LookupResult,
    lang: str,
    hotline: str,
    hours: str,
    procedure_name: str | None = None,
) -> str:
    """The answer to one lookup, in ``lang``; a found record names its procedure
    (``procedure_name``, from the catalogue) where it is known."""
    if result.outcome is LookupOutcome.FOUND:
        assert result.record is not None
        return found_text(result.record, lang, hotline, hours, procedure_name)
    if result.outcome is LookupOutcome.NOT_FOUND:
        return not_found_text(lang, hotline, result.both_factors)
    if result.outcome is LookupOutcome.INVALID_DIGITS:
        return invalid_digits_text(lang)
    defect = RecordCodeDefect(result.reason or "invalid", **result.details)
    return invalid_code_text(defect, lang)


def found_text(
    answer: RecordAnswer,
    lang: str,
    hotline: str,
    hours: str,
    procedure_name: str | None = None,
) -> str:
    """A found record's public facts, one part a line."""
    status = answer.status
    label = text(f"record.status.{status.value}.label", lang)
    procedure = (
        text("record.found.procedure_named", lang, name=procedure_name, code=answer.procedure_code)
        if procedure_name
        else text("record.found.procedure_code", lang, code=answer.procedure_code)
    )
    parts = [
        text("record.found.heading", lang, code=answer.code, procedure=procedure),
        text(
            "record.found.status",
            lang,
            status=label,
            explanation=text(f"record.status.{status.value}.explanation", lang),
        ),
        text("record.found.received", lang, received=answer.received_on),
    ]
    if answer.due_on is not None:
        if answer.deadline is not None:
            parts.append(
                text(
                    "record.found.due_deadline",
                    lang,
                    due=answer.due_on,
                    deadline=text(f"record.deadline.{answer.deadline.value}", lang),
                )
            )
        else:
            parts.append(text("record.found.due", lang, due=answer.due_on))
    if status is RecordStatus.WAITING_SUPPLEMENT:
        if answer.missing_documents:
            separator = text("record.found.missing_separator", lang)
            documents = separator.join(
                text("record.found.missing_item", lang, document=document)
                for document in answer.missing_documents
            )
            parts.append(text("record.found.missing", lang, documents=documents))
        else:
            parts.append(text("record.found.missing_unknown", lang))
    if answer.result_delivery is not None:
        where = (
            text("record.found.delivery_place", lang, place=answer.collect_at)
            if answer.collect_at
            else ""
        )
        how = text(f"record.delivery.{answer.result_delivery.value}", lang)
        parts.append(text("record.found.delivery", lang, how=how, where=where))
    elif answer.collect_at:
        parts.append(text("record.found.collect_only", lang, place=answer.collect_at))
    if answer.overdue and status.is_open:
        parts.append(text("record.found.overdue", lang, hotline=hotline, hours=hours))
    return text("record.found.separator", lang).join(part for part in parts if part)


def not_found_text(lang: str, hotline: str, both_factors: bool = False) -> str:
    """The neutral answer: the same for an unknown code and for wrong digits."""
    if both_factors:
        return text("record.not_found_both", lang, hotline=hotline)
    return text("record.not_found", lang, hotline=hotline)


def invalid_digits_text(lang: str) -> str:
    return text("record.lookup.invalid_digits", lang)


def invalid_code_text(defect: RecordCodeDefect, lang: str) -> str:
    return text("record.lookup.invalid_code", lang, reason=defect.text(lang))


def refused_text(retry_after_seconds: int, scope: RefusalScope, lang: str, hotline: str) -> str:
    """What to say when :class:`~helpdesk.errors.LookupRefused` is raised.

    Each scope gets its own advice: ``code_source`` and ``source`` say when to try again and
    give the hotline; ``code_guarded`` asks for both groups of 4 digits in one message.
    """
    if scope == "code_guarded":
        return text("lookup.refused.code_guarded", lang, hotline=hotline)
    wait = wait_text(retry_after_seconds, lang)
    return text(f"lookup.refused.{scope}", lang, wait=wait, hotline=hotline)


def wait_text(retry_after_seconds: int, lang: str) -> str:
    """About how long to wait: whole minutes, or whole hours from two hours on."""
    minutes = max(1, -(-retry_after_seconds // 60))
    if minutes == 1:
        return text("wait.minute", lang)
    if minutes < 120:
        return text("wait.minutes", lang, count=minutes)
    return text("wait.hours", lang, count=-(-minutes // 60))
