"""Which new commune/ward now serves an old address ("xã Phúc Xá, Ba Đình, Hà Nội")?

The text is split in every plausible way into [ignored] ward [district] [province] parts; each
ward part is looked up (exact folded name, then without spaces, then one typo, then token
overlap) and every candidate is scored by how well the district and province parts agree with
it. Old wards and current (post-2025) wards are both candidates, so a new name resolves to
itself.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from offices.fuzzy import FuzzyKeys
from offices.normalize import PROVINCE_ALIASES, Level, Token, UnitKind, province_alias, tokenize
from offices.query import ParsedText, parse
from offices.units import AdminUnits, NewWard, OldWard, split_type

# Scores: the ward name carries the most, a confirming district or province adds, a
# contradicting one takes away; kinds and diacritics only break near-ties.
WARD_WEIGHT = 10.0
DISTRICT_WEIGHT = 5.0
PROVINCE_WEIGHT = 4.0
CONTRADICTED = -4.0  # the part names another district/province
UNRECOGNISED = -2.0  # the part names nothing we know
ACCENT_AGREES, ACCENT_DIFFERS = 1.0, -1.5
KIND_AGREES, KIND_DIFFERS, WRONG_LEVEL = 0.5, -0.5, -3.0
SKIPPED_TOKEN = -0.5  # street address or words before the ward
CURRENT_NAME_BONUS = 0.3  # with no district given, a current ward name is read as such
SOURCE_AREA = 0.6  # a new ward named with one of the old districts it absorbed
OTHER_PROVINCE = 0.875  # an old ward named with its new province, or a new one with an old
REORDER_BELOW = 16.0  # try other orders of comma-separated parts ("District 3, Ward 1, HCMC")
REORDERED = -0.5
MIN_SCORE = 8.5  # an exact name, or a near one with some support
LOOSE_PASS_BELOW = 10.0  # token-overlap matching only when nothing better was found
OVERLAP_FACTOR = 0.7
MIN_DICE = 0.5
MIN_OVERLAP_WORDS, MAX_OVERLAP_WORDS = 2, 5
MAX_POSTING = 150  # tokens in more ward names than this ("tan", "an") never select candidates
AMBIGUITY_MARGIN = 0.75
BEST_POSSIBLE_GAIN = DISTRICT_WEIGHT + PROVINCE_WEIGHT + 2 * KIND_AGREES + ACCENT_AGREES
PRUNE_MARGIN = 4.0  # candidates this far below the best are not worth showing
MAX_SPAN = 8  # no ward, district or province name (with its prefix) is longer
MAX_TOKENS = 64  # of a text; the rest is not read
MAX_STARTS = 10  # places where the ward part may begin (after commas and type words)
MAX_HITS = 150  # ward candidates kept per part, best first
SCORE_BUDGET = 40_000  # candidate readings scored per text, a bound on the worst case
_SEPARATORS = re.compile(r"[,;|/\n]")


@dataclass(frozen=True, slots=True)
class Match:
    """One candidate: an old ward and the new ward(s) that took it over, or a current ward."""

    new_wards: tuple[NewWard, ...]
    old: OldWard | None
    score: float

    @property
    def new_ward(self) -> str:
        """Full name of the (first) new ward, e.g. "Xã Phục Hòa"."""
        return self.new_wards[0].name

    @property
    def new_ward_code(self) -> str:
        return self.new_wards[0].code

    @property
    def new_province(self) -> str:
        """Full name of its province, e.g. "Tỉnh Cao Bằng"."""
        return self.new_wards[0].province

    @property
    def old_ward(self) -> str | None:
        return self.old.name if self.old else None

    @property
    def old_district(self) -> str | None:
        return self.old.district if self.old else None

    @property
    def old_province(self) -> str | None:
        return self.old.province if self.old else None

    @property
    def split(self) -> bool:
        """The old ward was divided among several new wards (all in ``new_wards``)."""
        return len(self.new_wards) > 1

    @property
    def current(self) -> bool:
        """The text named a ward that exists since 1 July 2025 (returned as itself)."""
        return self.old is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "new_ward": self.new_ward,
            "new_province": self.new_province,
            "old_ward": self.old_ward,
            "old_district": self.old_district,
            "old_province": self.old_province,
            "new_ward_code": self.new_ward_code,
            "split": self.split,
            "current": self.current,
            "new_wards": [
                {"code": w.code, "name": w.name, "province": w.province} for w in self.new_wards
            ],
            "score": round(self.score, 2),
        }


@dataclass(frozen=True, slots=True)
class Place:
    """Where a candidate lies, to ask the citizen which one they mean."""

    province: str
    district: str | None = None  # None for a current ward (districts no longer exist)

    def __str__(self) -> str:
        return f"{self.district}, {self.province}" if self.district else self.province


@dataclass(frozen=True, slots=True)
class Resolution:
    """The answer to one text: matches best first, and whether to ask which one."""

    text: str
    matches: tuple[Match, ...] = ()
    ambiguous: bool = False
    candidates: tuple[Place, ...] = ()  # when ambiguous: the places to choose from
    ask_for: Literal["district", "province"] | None = None

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "q": self.text,
            "matches": [m.to_dict() for m in self.matches],
            "ambiguous": self.ambiguous,
            "ask_for": self.ask_for,
            "candidates": [
                {"district": p.district, "province": p.province} for p in self.candidates
            ],
        }


@dataclass(frozen=True, slots=True)
class _Name:
    key: str
    accents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Entry:
    """A searchable unit: an old ward (``old`` set) or a current ward."""

    ward: _Name
    ward_type: str
    district: _Name | None
    district_type: str | None
    provinces: frozenset[str]  # its own province: confirms it fully
    other_provinces: frozenset[str]  # the new province of an old ward, or the old ones of a new
    source_districts: frozenset[str]
    old: OldWard | None
    new_codes: tuple[str, ...]
    place: Place


@dataclass(frozen=True, slots=True)
class _Span:
    """A part of the text read as a name, with the kind its prefix or suffix named."""

    key: str
    tokens: tuple[Token, ...]
    kind: UnitKind | None
    marked: bool  # the whole text was typed with diacritics


def _name(text: str) -> _Name:
    tokens = tokenize(split_type(text)[1])
    return _Name(" ".join(t.key for t in tokens), tuple(t.accent for t in tokens))


def _accent_adjust(span: _Span, name: _Name) -> float:
    # Only for text typed with diacritics; then "Thanh" means "Thanh", not "Thành".
    if not span.marked or len(span.tokens) != len(name.accents):
        return 0.0
    agree = all(t.accent == a for t, a in zip(span.tokens, name.accents, strict=True))
    return ACCENT_AGREES if agree else ACCENT_DIFFERS


def _kind_adjust(kind: UnitKind | None, unit_type: str | None, level: Level) -> float:
    if kind is None:
        return 0.0
    if level not in kind.levels:
        return WRONG_LEVEL
    if unit_type is None:
        return 0.0
    return KIND_AGREES if kind.matches(unit_type) else KIND_DIFFERS


class UnitResolver:
    """In-memory index of old and new wards; answers :meth:`resolve` in a few milliseconds."""

    def __init__(self, units: AdminUnits) -> None:
        self.units = units
        self._entries: list[_Entry] = []
        names: dict[str, _Name] = {}

        def name(text: str) -> _Name:
            if text not in names:
                names[text] = _name(text)
            return names[text]

        sources: dict[str, list[OldWard]] = defaultdict(list)
        for old in units.old_wards:
            new = [units.new_wards[c] for c in old.new_codes]
            for code in old.new_codes:
                sources[code].append(old)
            self._entries.append(
                _Entry(
                    ward=name(old.name),
                    ward_type=old.unit_type,
                    district=name(old.district),
                    district_type=old.district_type,
                    provinces=frozenset({name(old.province).key}),
                    other_provinces=frozenset(name(w.province).key for w in new),
                    source_districts=frozenset(),
                    old=old,
                    new_codes=old.new_codes,
                    place=Place(old.province, old.district),
                )
            )
        province_keys: set[str] = set()
        for ward in units.new_wards.values():
            olds = sources.get(ward.code, [])
            self._entries.append(
                _Entry(
                    ward=name(ward.name),
                    ward_type=ward.unit_type,
                    district=None,
                    district_type=None,
                    provinces=frozenset({name(ward.province).key}),
                    other_provinces=frozenset(name(o.province).key for o in olds),
                    source_districts=frozenset(name(o.district).key for o in olds),
                    old=None,
                    new_codes=(ward.code,),
                    place=Place(ward.province),
                )
            )
        self._by_ward: dict[str, list[int]] = defaultdict(list)
        self._postings: dict[str, set[str]] = defaultdict(set)
        district_keys: set[str] = set()
        for index, entry in enumerate(self._entries):
            self._by_ward[entry.ward.key].append(index)
            for token in entry.ward.key.split():
                self._postings[token].add(entry.ward.key)
            if entry.district:
                district_keys.add(entry.district.key)
            province_keys |= entry.provinces | entry.other_provinces
        self._wards = FuzzyKeys(self._by_ward)
        self._districts = FuzzyKeys(district_keys)
        self._provinces = FuzzyKeys(province_keys | set(_aliases_for(province_keys)))

    @classmethod
    def from_dir(cls, path: Path) -> UnitResolver:
        """Load the data under ``path`` (``settings.admin_units_dir``) and build the index.

        Raises:
            AdminUnitsError: the data is missing or malformed.
        """
        return cls(AdminUnits.from_dir(path))

    def resolve(self, text: str, limit: int = 5) -> Resolution:
        """Find the new ward(s) for a free-text place, best first.

        Args:
            text: e.g. "xã Phúc Xá, Ba Đình, Hà Nội", "p.1 q.3 tp hcm", "Phuc Xa ward, Hanoi".
            limit: the most matches to return (at least one is returned when any is found).

        Returns:
            A :class:`Resolution`; ``ambiguous`` with ``candidates`` when the text fits several
            places that lead to different new wards, e.g. a common name with no district.
        """
        parsed = parse(text, max_tokens=MAX_TOKENS)
        if not parsed.tokens:
            return Resolution(text)
        memo = _Memo()
        best = self._scores(parsed, memo)
        parts = [part for part in _SEPARATORS.split(text) if part.strip()]
        weak = max(best.values(), default=0.0) < REORDER_BELOW
        if weak and 2 <= len(parts) <= 4 and self._out_of_order(parts):
            for order in _other_orders(parts):
                for index, score in self._scores(parse(", ".join(order)), memo).items():
                    best[index] = max(score + REORDERED, best.get(index, float("-inf")))
        return self._resolution(text, best, limit)

    def _out_of_order(self, parts: list[str]) -> bool:
        """Whether the parts look big-to-small or shuffled: a later part names a ward, or
        the first names a province or district ("Hà Nội, Ba Đình, Phúc Xá")."""
        for part in parts[1:]:
            parsed = parse(part)
            kind = parsed.prefix_kinds.get(0) or parsed.suffix_kinds.get(len(parsed.tokens))
            if kind is None and 0 in parsed.soft_prefixes:
                kind = parsed.soft_prefixes[0][1]
            if kind is not None and kind.levels == frozenset({Level.WARD}):
                return True
        first = " ".join(parse(parts[0]).keys)
        return first in self._provinces or first in self._districts

    def _scores(self, parsed: ParsedText, memo: _Memo) -> dict[int, float]:
        scorer = _Scorer(self, parsed, memo)
        best = scorer.run(loose=False)
        if max(best.values(), default=0.0) < LOOSE_PASS_BELOW:
            for index, score in scorer.run(loose=True).items():
                best[index] = max(score, best.get(index, score))
        return best

    def _resolution(self, text: str, best: dict[int, float], limit: int) -> Resolution:
        ranked = sorted(
            ((score, i) for i, score in best.items() if score >= MIN_SCORE),
            key=lambda pair: (-pair[0], self._entries[pair[1]].old is not None, pair[1]),
        )
        if not ranked:
            return Resolution(text)
        matches = tuple(self._match(i, score) for score, i in ranked[: max(limit, 1)])
        top = ranked[0][0]
        group = [self._entries[i] for score, i in ranked if score >= top - AMBIGUITY_MARGIN]
        outcomes = {entry.new_codes for entry in group}
        if len(outcomes) < 2:
            return Resolution(text, matches)
        places = tuple(dict.fromkeys(entry.place for entry in group))
        # Within one (new) province the old district tells them apart; otherwise ask the province.
        provinces = {self.units.new_wards[e.new_codes[0]].province_code for e in group}
        ask: Literal["district", "province"] = "district" if len(provinces) == 1 else "province"
        return Resolution(text, matches, ambiguous=True, candidates=places, ask_for=ask)

    def _match(self, index: int, score: float) -> Match:
        entry = self._entries[index]
        wards = tuple(self.units.new_wards[c] for c in entry.new_codes)
        return Match(new_wards=wards, old=entry.old, score=score)


def _other_orders(parts: list[str]) -> list[list[str]]:
    """Reversed, and each later part moved to the front: the orders people actually use."""
    orders = [parts[::-1]] + [[parts[k], *parts[:k], *parts[k + 1 :]] for k in range(1, len(parts))]
    unique: list[list[str]] = []
    for order in orders:
        if order != parts and order not in unique:
            unique.append(order)
    return unique


def _aliases_for(province_keys: set[str]) -> Iterator[str]:
    for alias, key in PROVINCE_ALIASES.items():
        if key in province_keys:
            yield alias


_SpanKey = tuple[tuple[tuple[str, str], ...], UnitKind | None, tuple[int, UnitKind] | None, bool]


@dataclass
class _Memo:
    """Look-ups already made while resolving one text (shared by its re-orderings)."""

    wards: dict[tuple[_SpanKey, bool], list[tuple[int, float]]] = field(default_factory=dict)
    areas: dict[tuple[_SpanKey, Level], dict[str, tuple[float, _Span]]] = field(
        default_factory=dict
    )
    budget: int = SCORE_BUDGET


class _Scorer:
    """Scores every reading of one parsed text against the index (memoised per span)."""

    def __init__(self, resolver: UnitResolver, parsed: ParsedText, memo: _Memo) -> None:
        self.r = resolver
        self.p = parsed
        self.n = len(parsed.tokens)
        self._memo = memo

    def run(self, loose: bool) -> dict[int, float]:
        best: dict[int, float] = {}
        p, n = self.p, self.n
        entries = self.r._entries
        top = float("-inf")
        starts = set(p.boundaries)
        starts |= {at for at, (_, kind) in p.soft_prefixes.items() if Level.WARD in kind.levels}
        for start in sorted(starts)[:MAX_STARTS]:
            skipped = SKIPPED_TOKEN * min(start, 6)
            for i in range(start + 1, min(p.next_boundary(start), start + MAX_SPAN) + 1):
                hits = self._ward_hits(start, i, loose)
                if not hits:
                    continue
                scored = [(index, skipped + score) for index, score in hits]
                # Far below the best so far even with district and province confirmed: skip.
                floor = top - BEST_POSSIBLE_GAIN - PRUNE_MARGIN
                scored = [pair for pair in scored if pair[1] >= floor]
                for j in range(i, n + 1):
                    if j > i and (j > p.next_boundary(i) or j - i > MAX_SPAN):
                        break
                    if j == n > i and self._names_province(i, j):
                        # "Phường 1, Trà Vinh": the province, not also the city of that name.
                        continue
                    end = p.next_boundary(j) if j < n else n
                    leftover = SKIPPED_TOKEN * (n - end)
                    districts = self._area(Level.DISTRICT, i, j) if j > i else None
                    provinces = self._area(Level.PROVINCE, j, end) if end > j else None
                    self._memo.budget -= len(scored)
                    if self._memo.budget < 0:
                        return best  # pathological text: keep what was found
                    for index, ward_score in scored:
                        entry = entries[index]
                        score = ward_score + leftover
                        score += self._district_score(entry, districts)
                        score += self._province_score(entry, provinces)
                        if entry.old is None and districts is None:
                            score += CURRENT_NAME_BONUS
                        if score > best.get(index, float("-inf")):
                            best[index] = score
                            top = max(top, score)
        return best

    def _span_key(self, start: int, end: int) -> _SpanKey:
        # The same words read the same way whatever order the parts came in.
        words = tuple((t.key, t.accent) for t in self.p.tokens[start:end])
        kind = self.p.prefix_kinds.get(start) or self.p.suffix_kinds.get(end)
        return words, kind, self.p.soft_prefixes.get(start), self.p.marked

    def _names_province(self, start: int, end: int) -> bool:
        kind = self.p.prefix_kinds.get(start) or self.p.suffix_kinds.get(end)
        if kind is not None and Level.PROVINCE not in kind.levels:
            return False
        return bool(self._area(Level.PROVINCE, start, end))

    def _spans(self, start: int, end: int) -> list[_Span]:
        tokens = self.p.tokens
        kind = self.p.prefix_kinds.get(start) or self.p.suffix_kinds.get(end)
        marked = self.p.marked
        whole = tokens[start:end]
        spans = [_Span(" ".join(t.key for t in whole), whole, kind, marked)]
        soft = self.p.soft_prefixes.get(start)
        if soft is not None and start + soft[0] < end:
            inner = tokens[start + soft[0] : end]
            spans.append(_Span(" ".join(t.key for t in inner), inner, soft[1], marked))
        return spans

    def _ward_hits(self, start: int, end: int, loose: bool) -> list[tuple[int, float]]:
        """Entries whose ward name this part may be, each with its best ward score."""
        memo_key = (self._span_key(start, end), loose)
        if memo_key in self._memo.wards:
            return self._memo.wards[memo_key]
        best: dict[int, float] = {}
        for span in self._spans(start, end):
            if span.kind is not None and Level.WARD not in span.kind.levels:
                continue
            found = self.r._wards.lookup(span.key)
            if loose and not found:
                found = self._overlap(span.key)
            # "huyện X" is a ward only for the island districts that had no wards (now đặc khu).
            islands_only = span.kind in (UnitKind.RURAL_DISTRICT, UnitKind.DISTRICT)
            for key, sim in found.items():
                for index in self.r._by_ward[key]:
                    entry = self.r._entries[index]
                    if islands_only and not UnitKind.SPECIAL_ZONE.matches(entry.ward_type):
                        continue
                    score = self._ward_score(entry, sim, span)
                    if score > best.get(index, float("-inf")):
                        best[index] = score
        hits = sorted(best.items(), key=lambda pair: -pair[1])[:MAX_HITS]
        self._memo.wards[memo_key] = hits
        return hits

    def _overlap(self, query: str) -> dict[str, float]:
        words = set(query.split())
        if not MIN_OVERLAP_WORDS <= len(words) <= MAX_OVERLAP_WORDS:
            return {}
        selective = [w for w in words if len(self.r._postings.get(w, ())) <= MAX_POSTING]
        candidates: set[str] = set()
        for word in selective:
            candidates |= self.r._postings.get(word, set())
        found: dict[str, float] = {}
        for key in candidates:
            other = set(key.split())
            dice = 2 * len(words & other) / (len(words) + len(other))
            if dice >= MIN_DICE:
                found[key] = OVERLAP_FACTOR * dice
        return found

    def _area(self, level: Level, start: int, end: int) -> dict[str, tuple[float, _Span]]:
        memo_key = (self._span_key(start, end), level)
        if memo_key in self._memo.areas:
            return self._memo.areas[memo_key]
        keys = self.r._districts if level is Level.DISTRICT else self.r._provinces
        found: dict[str, tuple[float, _Span]] = {}
        for span in self._spans(start, end) if end - start <= MAX_SPAN else ():
            for key, sim in keys.lookup(span.key).items():
                if level is Level.PROVINCE:
                    key = province_alias(key)
                if sim > found.get(key, (0.0, span))[0]:
                    found[key] = (sim, span)
        self._memo.areas[memo_key] = found
        return found

    @staticmethod
    def _ward_score(entry: _Entry, sim: float, span: _Span) -> float:
        score = WARD_WEIGHT * sim + _kind_adjust(span.kind, entry.ward_type, Level.WARD)
        return score + _accent_adjust(span, entry.ward)

    @staticmethod
    def _district_score(entry: _Entry, found: dict[str, tuple[float, _Span]] | None) -> float:
        if found is None:
            return 0.0
        if not found:
            return UNRECOGNISED
        if entry.district is not None and entry.district.key in found:
            sim, span = found[entry.district.key]
            score = DISTRICT_WEIGHT * sim + _accent_adjust(span, entry.district) / 2
            return score + _kind_adjust(span.kind, entry.district_type, Level.DISTRICT)
        shared = [found[k][0] for k in entry.source_districts if k in found]
        if shared:
            return DISTRICT_WEIGHT * SOURCE_AREA * max(shared)
        return CONTRADICTED

    @staticmethod
    def _province_score(entry: _Entry, found: dict[str, tuple[float, _Span]] | None) -> float:
        if found is None:
            return 0.0
        if not found:
            return UNRECOGNISED
        kind = next(iter(found.values()))[1].kind
        level = _kind_adjust(kind, None, Level.PROVINCE)
        direct = [found[k][0] for k in entry.provinces if k in found]
        if direct:
            return PROVINCE_WEIGHT * max(direct) + level
        shared = [found[k][0] for k in entry.other_provinces if k in found]
        if shared:
            return PROVINCE_WEIGHT * OTHER_PROVINCE * max(shared) + level
        return CONTRADICTED
