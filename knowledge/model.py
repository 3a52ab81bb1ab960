"""Typed model of one administrative procedure (thủ tục hành chính).

Fields mirror the national procedure database (Cơ sở dữ liệu quốc gia về TTHC). Every fact a
citizen reads comes from an instance of :class:`Procedure`; nothing is computed from thin air.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CODE_PATTERN = re.compile(r"^\d\.\d{6}$")

# Text standing in a draft where the model needs words nobody has written yet. A draft entry
# may hold it; a published entry may not, so it is never shown to a citizen as a fact.
DRAFT_PLACEHOLDER = "[draft: to be written by an editor]"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(StrEnum):
    """Cấp thực hiện."""

    CENTRAL = "trung_uong"
    PROVINCE = "tinh"
    COMMUNE = "xa"


class ChannelKind(StrEnum):
    """Cách thức thực hiện."""

    IN_PERSON = "truc_tiep"
    ONLINE = "truc_tuyen"
    POSTAL = "buu_chinh"


class OnlineLevel(StrEnum):
    """How much of the procedure the national/provincial portal handles."""

    FULL = "toan_trinh"
    PARTIAL = "mot_phan"
    NONE = "khong"


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"
    DAYS = "days"
    SAME_DAY = "same_day"
    HOURS = "working_hours"


class ProcessingTime(_Strict):
    """Thời hạn giải quyết: a value (or a range) and a unit.

    ``value`` is the upper bound a citizen should plan with; ``min_value`` is set for ranges
    such as "15–20 days". For ``same_day``, ``cutoff_hour`` is the hour after which an
    application received today is handled on the next working day.
    """

    value: float | None = Field(default=None, ge=0)
    min_value: float | None = Field(default=None, ge=0)
    unit: TimeUnit
    cutoff_hour: int | None = Field(default=None, ge=0, le=23)
    unit_assumed: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProcessingTime:
        if self.unit is TimeUnit.SAME_DAY:
            if self.value not in (None, 0):
                raise ValueError("a same-day time has no value (leave it empty or 0)")
        elif self.value is None:
            raise ValueError(f"a time in {self.unit.value} needs a value")
        if self.min_value is not None and self.value is not None and self.min_value > self.value:
            raise ValueError("min_value is larger than value")
        if self.cutoff_hour is not None and self.unit is not TimeUnit.SAME_DAY:
            raise ValueError("cutoff_hour only applies to a same-day time")
        return self


class NoTime(StrEnum):
    """Why a procedure gives no processing time, stated in place of a figure (never a guess).

    ``not_given``: the official source names no time limit. ``set_by_province``: the national
    text leaves the time to each province (its People's Committee sets it).
    """

    NOT_GIVEN = "not_given"
    SET_BY_PROVINCE = "set_by_province"


class FeeUnit(StrEnum):
    PER_CASE = "per_case"
    PER_COPY = "per_copy"
    PER_PAGE = "per_page"
    PER_CONTRACT = "per_contract"
    PER_CERTIFICATE = "per_certificate"


class PageTier(_Strict):
    """Page-priced fees: ``amount`` VND per page from page ``from_page`` on."""

    from_page: int = Field(ge=1)
    amount: int = Field(ge=0)


class Fee(_Strict):
    """One fee (phí) or charge (lệ phí) with its conditions.

    ``amount`` is None when the catalogue holds no national figure — then either
    ``set_by_province`` is true (each province's People's Council sets it) or ``free`` is true.
    """

    name: str
    name_en: str | None = None
    amount: int | None = Field(default=None, ge=0)
    unit: FeeUnit = FeeUnit.PER_CASE
    page_tiers: list[PageTier] = Field(default_factory=list)
    cap: int | None = Field(default=None, ge=0)
    free: bool = False
    set_by_province: bool = False
    channels: list[ChannelKind] = Field(default_factory=list)
    conditions: str | None = None
    exemptions: list[str] = Field(default_factory=list)
    legal_basis: str | None = None
    # the period the fee is in force (both ends included); empty ends are open
    valid_from: date | None = None
    valid_until: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Fee:
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError("valid_from is after valid_until")
        if self.free and self.amount not in (None, 0):
            raise ValueError("a free fee cannot have an amount")
        if not (self.free or self.set_by_province or self.amount is not None or self.page_tiers):
            raise ValueError("give an amount, page_tiers, free: true or set_by_province: true")
        if self.page_tiers:
            starts = [t.from_page for t in self.page_tiers]
            if starts[0] != 1 or starts != sorted(set(starts)):
                raise ValueError("page_tiers must start at page 1 and increase")
        return self

    def applies_to(self, channel: ChannelKind | None) -> bool:
        return channel is None or not self.channels or channel in self.channels

    def in_force(self, day: date) -> bool:
        """Whether the fee applies on ``day``."""
        starts = self.valid_from is None or self.valid_from <= day
        return starts and (self.valid_until is None or day <= self.valid_until)


class Channel(_Strict):
    """One way to submit (in person, online, by post), with its own time limit and fees."""

    kind: ChannelKind
    time: ProcessingTime | None = None
    fees: list[Fee] = Field(default_factory=list)
    description: str | None = None


class DocumentForm(StrEnum):
    ORIGINAL = "ban_chinh"
    COPY = "ban_sao"
    CERTIFIED_COPY = "ban_sao_chung_thuc"
    ORIGINAL_OR_COPY = "ban_chinh_hoac_ban_sao"
    ELECTRONIC = "ban_dien_tu"


class DocumentAction(StrEnum):
    SUBMIT = "nop"
    SHOW = "xuat_trinh"


class Case(_Strict):
    """One case of a procedure whose documents differ by case ("if the house is a villa...").

    A document that names a case is asked for in that case only; a document without one is
    asked for in every case. Answers list the cases apart and never merge their documents.
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    name_en: str


class Document(_Strict):
    """Thành phần hồ sơ: one document to hand in or to show."""

    name: str
    name_en: str | None = None
    quantity: int = Field(default=1, ge=0)
    form: DocumentForm = DocumentForm.ORIGINAL
    form_code: str | None = None
    action: DocumentAction = DocumentAction.SUBMIT
    required: bool = True
    condition: str | None = None
    case: str | None = None


class LegalBasis(_Strict):
    title: str
    note: str | None = None


class Procedure(_Strict):
    """One administrative procedure as published in the national database."""

    code: str
    name: str
    name_en: str
    summary_en: str
    summary: str | None = None
    decision: str | None = None
    level: Level
    levels: list[Level] = Field(default_factory=list)
    kind: str | None = None
    field: str
    field_en: str | None = None
    agency: str
    agency_en: str | None = None
    receiving_agency: str | None = None
    submit_at: str
    submit_at_en: str | None = None
    applicants: str
    steps: list[str] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    documents: list[Document] = Field(min_length=1)
    cases: list[Case] = Field(default_factory=list)
    time: ProcessingTime | None = None
    # in place of any time (the procedure's and every channel's): why the entry has none
    no_time: NoTime | None = None
    fees: list[Fee] = Field(default_factory=list)
    requirements: list[str] = Field(default_factory=list)
    result: str
    results: list[str] = Field(default_factory=list)
    # empty only with no_legal_basis_reason (for the editor) in an unverified entry
    legal_basis: list[LegalBasis]
    no_legal_basis_reason: str | None = None
    related: list[str] = Field(default_factory=list)
    boundary_free: bool = False
    online_level: OnlineLevel = OnlineLevel.NONE
    source_url: str
    verified_on: date
    verified: bool = True
    unverified_reason: str | None = None
    draft: bool = False
    replaced_by: str | None = None
    replaced_reason: str | None = None
    aliases: list[str] = Field(default_factory=list)
    aliases_en: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @field_validator("code")
    @classmethod
    def _code_format(cls, value: str) -> str:
        if not CODE_PATTERN.match(value):
            raise ValueError("procedure code must look like 1.001193 (digit, dot, six digits)")
        return value

    @field_validator("related")
    @classmethod
    def _related_codes(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not CODE_PATTERN.match(v)]
        if bad:
            raise ValueError(f"related procedure codes are malformed: {', '.join(bad)}")
        return values

    @field_validator("replaced_by")
    @classmethod
    def _replacement_code(cls, value: str | None) -> str | None:
        if value is not None and not CODE_PATTERN.match(value):
            raise ValueError("replaced_by must be a procedure code like 1.001193")
        return value

    @field_validator("source_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("source_url must be an https:// link")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Procedure:
        kinds = [c.kind for c in self.channels]
        if len(kinds) != len(set(kinds)):
            raise ValueError("a channel kind is listed twice")
        self._check_time()
        self._check_legal_basis()
        if self.levels and self.level not in self.levels:
            raise ValueError("levels must include level")
        if self.replaced_reason and not self.replaced_by:
            raise ValueError("replaced_reason needs replaced_by")
        self._check_cases()
        self._check_draft()
        if self.online_level is not OnlineLevel.NONE and ChannelKind.ONLINE not in kinds:
            raise ValueError("online_level says online but no online channel is listed")
        return self

    def _check_time(self) -> None:
        """A time for every channel (its own or the procedure's), or ``no_time`` saying why
        there is none at all; a draft may leave it open."""
        timed = self.time is not None or any(c.time is not None for c in self.channels)
        if self.no_time is not None:
            if timed:
                raise ValueError("no_time is for an entry without any time: drop it or the times")
        elif not self.draft and self.time is None and any(c.time is None for c in self.channels):
            raise ValueError(
                "give a procedure time, a time on every channel, or no_time "
                "(not_given: the source names no time; set_by_province: the province sets it)"
            )

    def _check_legal_basis(self) -> None:
        """A legal basis, or an empty one with the reason why in an unverified entry."""
        if self.legal_basis:
            if self.no_legal_basis_reason is not None:
                raise ValueError("no_legal_basis_reason is only for an empty legal_basis")
            return
        if not (self.no_legal_basis_reason or "").strip():
            raise ValueError(
                "give a legal_basis, or legal_basis: [] with no_legal_basis_reason saying why"
            )
        if self.verified:
            raise ValueError("an entry without a legal basis must have verified: false")

    def _check_cases(self) -> None:
        ids = [c.id for c in self.cases]
        if len(ids) != len(set(ids)):
            raise ValueError("a case id is listed twice")
        unknown = sorted({d.case for d in self.documents if d.case and d.case not in ids})
        if unknown:
            raise ValueError(f"documents name cases that are not listed: {', '.join(unknown)}")
        unused = [i for i in ids if not any(d.case == i for d in self.documents)]
        if unused:
            raise ValueError(f"cases with no document: {', '.join(unused)}")
        if len(ids) == 1:
            raise ValueError("one case alone is not a choice: list two or more, or none")

    def _check_draft(self) -> None:
        """A draft is unverified and says why; only a draft may hold placeholder text."""
        if self.draft:
            if self.verified:
                raise ValueError("a draft entry must have verified: false")
            if not self.unverified_reason:
                raise ValueError("a draft entry needs an unverified_reason")
        elif DRAFT_PLACEHOLDER in repr(self.model_dump()):
            raise ValueError("placeholder text is only allowed in a draft entry (draft: true)")

    def channel(self, kind: ChannelKind) -> Channel | None:
        return next((c for c in self.channels if c.kind is kind), None)

    def time_for(self, kind: ChannelKind | None = None) -> ProcessingTime | None:
        """The processing time for a channel, falling back to the procedure's own, then to
        the first channel's; None when the entry has none (``no_time`` says why)."""
        channel = self.channel(kind) if kind else None
        if channel and channel.time:
            return channel.time
        if self.time:
            return self.time
        return next((c.time for c in self.channels if c.time), None)

    def fees_for(self, kind: ChannelKind | None = None) -> list[Fee]:
        """Fees for a channel: the channel's own list if it has one, else the common ones."""
        channel = self.channel(kind) if kind else None
        if channel and channel.fees:
            return list(channel.fees)
        return [f for f in self.fees if f.applies_to(kind)]

    @property
    def online(self) -> bool:
        return self.channel(ChannelKind.ONLINE) is not None


class ProvinceOverride(_Strict):
    """What a province changes for one procedure: fees, agency, where to submit, notes."""

    fees: list[Fee] | None = None
    agency: str | None = None
    agency_en: str | None = None
    submit_at: str | None = None
    submit_at_en: str | None = None
    notes: list[str] = Field(default_factory=list)
    legal_basis: list[LegalBasis] = Field(default_factory=list)


class ProvinceOverlay(_Strict):
    """A province's overlay file: its code, name, and per-procedure overrides."""

    province_code: str = Field(pattern=r"^\d{2}$")
    province_name: str
    source: str | None = None
    verified: bool = False
    overrides: dict[str, ProvinceOverride] = Field(default_factory=dict)

    @field_validator("overrides")
    @classmethod
    def _codes(cls, value: dict[str, ProvinceOverride]) -> dict[str, ProvinceOverride]:
        bad = [c for c in value if not CODE_PATTERN.match(c)]
        if bad:
            raise ValueError(f"override keys must be procedure codes: {', '.join(bad)}")
        return value
