"""Families of procedures that differ by one condition, and which member a question names.

Hundreds of procedures come in families: domestic / with a foreign element / in a border area /
mobile (lưu động); first issue / exchange / reissue; registering / re-registering / ending;
fully online / partly online. A variant's name carries a *marker* ("có yếu tố nước ngoài",
"lưu động", "đăng ký lại"); a question names the variant when it carries one of the marker's
cues ("nước ngoài", "việt kiều", "foreign"). The common member wins unless the question names
the variant: :func:`variant_weights` gives each candidate a weight that lowers a variant whose
marker the question does not name, relative to the best-placed candidate of the list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.normalize import normalize, tokens


@dataclass(frozen=True, slots=True)
class Marker:
    """One condition that sets a variant apart.

    ``in_name``: folded phrases that mark a procedure's name as the variant.
    ``cues``: folded phrases (after abbreviation expansion) by which a question names it.
    """

    key: str
    in_name: tuple[str, ...]
    cues: tuple[str, ...]
    boost: bool = True  # False: naming it only spares the variant, never puts it first


MARKERS: tuple[Marker, ...] = (
    Marker(
        "foreign",
        ("yeu to nuoc ngoai", "cho nguoi nuoc ngoai", "cua nuoc ngoai"),
        (
            "nuoc ngoai",
            "yeu to nuoc ngoai",
            "viet kieu",
            "ngoai quoc",
            "quoc tich",
            "foreign",
            "foreigner",
            "abroad",
            "overseas",
        ),
    ),
    Marker("border", ("khu vuc bien gioi", "bien gioi"), ("bien gioi", "border")),
    Marker(
        "mobile",
        ("luu dong",),
        ("luu dong", "den nha", "tai nha", "tan nha", "mobile", "at home", "home visit"),
    ),
    Marker(
        "again",
        ("dang ky lai", "cap lai", "xac nhan lai", "lam lai"),
        (
            "dang ky lai",
            "cap lai",
            "lam lai",
            "xin lai",
            "lai giay",
            "bi mat",
            "danh mat",
            "lam mat",
            "mat giay",
            "hu hong",
            "bi hong",
            "rach",
            "khong con luu",
            "again",
            "re register",
            "reissue",
            "re issue",
            "replace",
            "replacement",
            "lost",
            "lose",
            "losing",
            "damaged",
        ),
    ),
    Marker(
        "ending",
        ("cham dut", "dung thuc hien", "tam ngung", "thu hoi", "xoa dang ky", "huy"),
        (
            "cham dut",
            "ket thuc",
            "dung hoat dong",
            "dung kinh doanh",
            "tam dung",
            "ngung",
            "giai the",
            "thu hoi",
            "xoa",
            "cat ho khau",
            "cat khau",
            "huy",
            "end",
            "terminate",
            "stop",
            "close",
            "cancel",
            "suspend",
            "deregister",
            "remove",
            "withdraw",
        ),
    ),
    Marker(
        "organisation",
        ("doi voi to chuc", "cho co quan to chuc", "to chuc kinh te"),
        (
            "to chuc",
            "cong ty",
            "doanh nghiep",
            "co quan",
            "organisation",
            "organization",
            "company",
            "business entity",
        ),
    ),
    Marker(
        "ineligible",
        ("chua du dieu kien", "khong du dieu kien"),
        (
            "chua du dieu kien",
            "khong du dieu kien",
            "khong dang ky duoc",
            "chua dang ky duoc",
            "cannot register",
            "can not register",
            "not eligible",
        ),
    ),
    Marker("supervision", ("giam sat",), ("giam sat", "supervise", "supervision")),
    Marker(
        "online_only",
        ("truc tuyen toan trinh",),
        ("truc tuyen", "online", "tren mang", "qua mang", "toan trinh", "dich vu cong"),
        boost=False,  # "online" also asks whether the common member can be done online
    ),
)

_BOOSTED = frozenset(m.key for m in MARKERS if m.boost)

# How much a variant counts when the question does not name its marker, and when it does
# (per marker): the common member wins unless the question names the variant, and then the
# variant wins over the common member.
UNNAMED_VARIANT = 0.3
NAMED_VARIANT = 1.5


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None


def name_markers(name: str) -> frozenset[str]:
    """The markers a procedure's name carries."""
    words = " ".join(tokens(name))
    return frozenset(m.key for m in MARKERS if any(_contains(words, p) for p in m.in_name))


def question_markers(question: str) -> frozenset[str]:
    """The markers a question names, by any of their cues."""
    text = normalize(question)
    return frozenset(m.key for m in MARKERS if any(_contains(text, c) for c in m.cues))


def variant_weights(candidates: Sequence[frozenset[str]], asked: frozenset[str]) -> list[float]:
    """A weight per candidate (its markers given): less for a variant the question does not
    name, more for one it names; scaled so that the best weight is 1, so that the best-fitting
    candidates keep their scores and the gate's threshold keeps its meaning."""
    boosted = asked & _BOOSTED
    raw = [
        UNNAMED_VARIANT ** len(markers - asked) * NAMED_VARIANT ** len(markers & boosted)
        for markers in candidates
    ]
    best = max(raw, default=1.0)
    return [weight / best for weight in raw]
