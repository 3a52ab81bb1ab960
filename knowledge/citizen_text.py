"""Texts of a catalogue entry that a citizen reads, and the checks run on them.

They never cite a source, and no document asks for a paper the law has abolished. Where a
figure came from (what the portal page shows or leaves out, how a number was read,
what is not yet verified) is for the editor: it goes in the entry's ``notes``. A citizen
reads only the fact; an uncertain unit is flagged with ``unit_assumed`` and worded by the
answer itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from knowledge.normalize import fold

# Every field of a procedure (and of a province override) that ends up in an answer. A ``*``
# stands for each item of a list; a list of strings is checked item by item.
CITIZEN_FIELDS: tuple[str, ...] = (
    "summary",
    "agency",
    "agency_en",
    "submit_at",
    "submit_at_en",
    "applicants",
    "steps",
    "requirements",
    "result",
    "results",
    "time.note",
    "channels.*.time.note",
    "channels.*.description",
    "channels.*.fees.*.conditions",
    "channels.*.fees.*.exemptions",
    "fees.*.conditions",
    "fees.*.exemptions",
    "documents.*.condition",
    "legal_basis.*.note",
)

# Folded phrases (see :func:`knowledge.normalize.fold`) that say where a figure came from,
# matched as whole words. Narrow on purpose: "đối chiếu bản chính" or "lấy số định danh" are
# facts for a citizen; "chưa đối chiếu" or "lấy từ phần trình tự" are an editor's remarks.
PROVENANCE_PHRASES: tuple[str, ...] = (
    "catalogue",
    "ban ghi nay",
    "bang pham vi",
    "bang pham vi cua du an",
    "du an ghi",
    "tren trang cong",
    "trang cong khong",
    "trang cong chi",
    "trang thu tuc",
    "cong ghi",
    "cong in",
    "cong de trong",
    "cac buoc tren cong",
    "chi ghi so",
    "in so",
    "khong ghi don vi",
    "khong kem don vi",
    "khong ghi thoi han",
    "trinh tu ghi",
    "lay tu phan",
    "lay tu trang",
    "lay tu bang",
    "lay tu thu tuc",
    "suy ra tu",
    "chua doi chieu",
    "chua kiem chung",
)
_PROVENANCE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in PROVENANCE_PHRASES) + r")\b")

PROBLEM = "citizen text mentions its source; move it to notes"

# Papers abolished by the Law on Residence 2020: from 1 January 2023 the household registration
# book and its change slip are no longer valid, and residence is looked up in the national
# population database. Folded; matched as whole words in a document's name or condition only,
# so aliases ("nhập hộ khẩu") and summaries that explain the change stay allowed.
ABOLISHED_DOCUMENTS: tuple[str, ...] = (
    "so ho khau",
    "phieu bao thay doi ho khau",
)
_ABOLISHED = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in ABOLISHED_DOCUMENTS) + r")\b")
DOCUMENT_FIELDS: tuple[str, ...] = ("documents.*.name", "documents.*.condition")

HOUSEHOLD_BOOK = (
    "document asks for the household registration book (sổ hộ khẩu), invalid since 2023; "
    "say that residence is looked up in the national population database"
)


def provenance_phrases(text: str) -> list[str]:
    """The provenance phrases (folded) found in ``text``; empty when a citizen may read it."""
    return [m.group(0) for m in _PROVENANCE.finditer(fold(text))]


def citizen_texts(data: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each citizen-facing text of an entry's data, with its location (``("time", "note")``)."""
    for field in CITIZEN_FIELDS:
        yield from _texts_at(data, field.split("."), ())


def _texts_at(
    value: Any, parts: list[str], loc: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if not parts:
        if isinstance(value, str):
            yield loc, value
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    yield (*loc, i), item
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        for i, item in enumerate(value if isinstance(value, list) else []):
            yield from _texts_at(item, rest, (*loc, i))
    elif isinstance(value, Mapping) and value.get(head) is not None:
        yield from _texts_at(value[head], rest, (*loc, head))


def source_remarks(data: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Citizen-facing texts of ``data`` that talk about their source, with their location."""
    return [(loc, text) for loc, text in citizen_texts(data) if provenance_phrases(text)]


def abolished_papers(text: str) -> list[str]:
    """The abolished papers (folded) that ``text`` names; empty when none."""
    return [m.group(0) for m in _ABOLISHED.finditer(fold(text))]


def abolished_documents(data: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Document names and conditions of ``data`` that ask for an abolished paper."""
    found = []
    for field in DOCUMENT_FIELDS:
        for loc, text in _texts_at(data, field.split("."), ()):
            if abolished_papers(text):
                found.append((loc, text))
    return found


def text_problems(data: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every problem in the citizen texts of ``data``: its location and the message."""
    problems = [(loc, PROBLEM) for loc, _ in source_remarks(data)]
    problems.extend((loc, HOUSEHOLD_BOOK) for loc, _ in abolished_documents(data))
    return problems
