"""Domain errors, in one place. Connectors map them to HTTP and to polite answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from helpdesk import messages


class HelpdeskError(Exception):
    """Base of every error the project raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a data file: where, which field, and what."""

    file: str
    field: str
    message: str
    code: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        what = f"[{self.code}] " if self.code else ""
        return f"{where}: {what}{self.field}: {self.message}"


@dataclass
class ProblemList(HelpdeskError):
    """Base of the errors that list every problem found in a data file or an import.

    Nothing was loaded or replaced. The message is a headline and then one problem a line.
    """

    problems: list[Problem] = field(default_factory=list)

    subject: ClassVar[str] = "the data"

    def headline(self) -> str:
        return f"{len(self.problems)} problem(s) in {self.subject}"

    def __str__(self) -> str:
        return "\n".join([self.headline(), *(f"  {p}" for p in self.problems)])


class CatalogueError(ProblemList):
    """The catalogue (or an import) has problems; nothing was loaded or replaced."""

    subject = "the catalogue"


class ProcedureNotFound(HelpdeskError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no procedure with code {code}")
        self.code = code


class IndexUnavailable(HelpdeskError):
    """The search index is missing, stale for this model, or failed to load."""


class InvalidQuery(HelpdeskError):
    """A question that cannot be searched (empty, or too long)."""


class RecordCodeInvalid(HelpdeskError):
    """A record code that cannot be parsed; the message says what was wrong."""


RefusalScope = Literal["code_source", "source", "code_guarded"]
"""Why a lookup was refused (see :class:`LookupRefused`)."""


class LookupRefused(HelpdeskError):
    """Too many failed lookups: this attempt is refused for a while.

    ``scope`` says what failed too often, so that the answer can say what to do:

    * ``code_source``: this asker got this code's digits wrong too often; other codes, and
      other askers of this code, are not affected. Try again after ``retry_after_seconds``.
    * ``source``: this asker failed too often over any codes; every lookup from them is
      refused until ``retry_after_seconds`` have passed.
    * ``code_guarded``: many askers together failed on this code. A 4-digit answer is refused
      for everybody, but both factors at once (last 4 of the phone and of the ID number) are
      still accepted; 4 digits work again after ``retry_after_seconds``.
    """

    def __init__(self, retry_after_seconds: int, scope: RefusalScope = "code_source") -> None:
        super().__init__(f"too many attempts ({scope}); try again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds
        self.scope: RefusalScope = scope


@dataclass
class ImportRejected(ProblemList):
    """A bulk import had bad rows; ``problems`` lists each with its line and reason."""

    imported: int = 0

    def headline(self) -> str:
        return f"{len(self.problems)} bad row(s)"


class StoreUnavailable(HelpdeskError):
    """The database cannot be reached."""


class RecordCodeDefect(RecordCodeInvalid):
    """A record code rejected for a named reason, with the details its message needs.

    ``reason`` is a stable key (``empty``, ``too_long``, ``invalid_characters``,
    ``impossible_date``, ``bad_date``, ``bad_sequence``, ``missing_parts``, ``bad_agency``,
    ``too_short``, ``unrecognised``, ``invalid``); the citizen's text is the catalogue's
    ``record_code.defect.<reason>`` (:meth:`text`). ``str()`` and ``message`` are its English,
    for logs and reports.
    """

    def __init__(self, reason: str, **details: object) -> None:
        self.reason = reason
        self.details: dict[str, object] = dict(details)
        self.message = self.text("en")
        super().__init__(self.message)

    def text(self, lang: str) -> str:
        """Why the code was rejected, in ``lang``."""
        return messages.text(f"record_code.defect.{self.reason}", lang, **self.details)

    @classmethod
    def of(cls, exc: RecordCodeInvalid) -> RecordCodeDefect:
        """``exc`` itself, or the plain ``invalid`` defect for a code rejected without a reason."""
        return exc if isinstance(exc, RecordCodeDefect) else cls("invalid")


class FeedbackInvalid(HelpdeskError):
    """Feedback or a handoff note that cannot be stored (bad rating, empty or unknown id)."""


class AdminUnitsError(ProblemList):
    """The administrative-unit data files are missing or malformed; nothing was loaded."""

    subject = "the administrative-unit data"


class ServiceCenterError(ProblemList):
    """Service-center files have problems (file, line, field for each); nothing was loaded."""

    subject = "the service-center files"


class AccountError(HelpdeskError):
    """A staff account that cannot be created or changed (bad username, short password,
    a username already taken); the message says what to fix."""


class AccountNotFound(AccountError):
    """No staff account has this username."""


class AccessReasonMissing(HelpdeskError):
    """A staff member opened a record without saying why (or with too short a reason)."""


class ReleaseRefused(HelpdeskError):
    """A catalogue publish or rollback that cannot happen now (a release not ready, already
    published, nothing to roll back to, or a page opened before someone else published)."""


class UploadRejected(HelpdeskError):
    """An uploaded catalogue file that cannot be read at all (not YAML/JSON/zip, too large,
    a path outside the catalogue); the message says which file and why."""
