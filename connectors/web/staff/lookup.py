"""Search as you type for counter staff: the bot's own retrieval, codes found directly.

A query that is a procedure code (``1.001193``) finds that procedure alone; the start of a
code (``1.0011``) lists the codes that begin with it. Any other query goes to the same
:class:`~knowledge.search.Searcher` the assistant answers with (diacritics optional,
abbreviations and typing slips forgiven). While a word is still being typed ("đăng ký kh"),
it is finished with the commonest syllable of the catalogue's names that begins with it
("khai"), so that every keystroke shows procedures rather than noise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise

from helpdesk.errors import InvalidQuery
from knowledge.index import KnowledgeIndex
from knowledge.model import CODE_PATTERN
from knowledge.normalize import fold, nfc
from knowledge.search import MAX_QUERY_CHARS, check_query
from knowledge.service import Knowledge

MAX_RESULTS = 8
# a digit, or a digit, a dot and up to six digits: the start of a procedure code
CODE_START = re.compile(r"^\d(?:\.\d{0,6})?$")
_WORD = re.compile(r"\w+")
_LAST_WORD = re.compile(r"\w+$")
START = "^"  # the context of a name's first syllable


class LookupKind(StrEnum):
    EMPTY = "empty"  # nothing typed yet
    CODE = "code"  # an exact code of the catalogue
    UNKNOWN_CODE = "unknown_code"  # a whole code the catalogue does not have
    CODE_START = "code_start"  # the start of one or more codes
    SEARCH = "search"  # words, through the retrieval
    TOO_LONG = "too_long"  # longer than the retrieval accepts


@dataclass(frozen=True, slots=True)
class LookupItem:
    code: str
    name: str
    field: str


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one query found: its kind, the procedures in order, and whether the retrieval's
    gate judged the first of them a confident match (always true for codes)."""

    query: str
    kind: LookupKind
    items: tuple[LookupItem, ...] = ()
    confident: bool = True
    searched: str = ""  # the text given to the retrieval (the query, its last word finished)

    @property
    def exact(self) -> LookupItem | None:
        """The procedure whose code was typed, if that is what the query is."""
        return self.items[0] if self.kind is LookupKind.CODE else None


@dataclass(frozen=True)
class Syllables:
    """The syllables of every name of the catalogue's procedures, to finish a typed word.

    A word is finished as the commonest syllable that begins with it after the word before
    it ("chứng th" → "thực"; the first word of a query as the first of a name: "đ" →
    "đăng"), else anywhere in a name ("kh" → "khai"). A word typed with diacritics is matched
    as written ("đă" → "đăng"), one without them among the folded syllables.
    """

    # (context, word): the context is the previous syllable folded, START for the first
    # syllable of a name, "" for anywhere
    seen: frozenset[tuple[str, str]]
    # (context, the start of a word) -> the commonest word so begun in that context
    completions: dict[tuple[str, str], str]

    @classmethod
    def of(cls, names: Iterable[str]) -> Syllables:
        counts: Counter[tuple[str, str]] = Counter()
        for name in names:
            words = _words(name)
            if not words:
                continue
            forms = [(word, _fold(word)) for word in words]
            pairs = {(START, words[0]), (START, forms[0][1])}
            pairs.update(("", form) for both in forms for form in both)
            for (_, previous), (word, folded) in pairwise(forms):
                pairs.update({(previous, word), (previous, folded)})
            counts.update(pairs)  # each name counts once
        return cls(frozenset(counts), _commonest(counts))

    def finish(self, word: str, previous: str | None = None) -> str:
        """``word`` finished, or ``word`` itself when it is already a syllable of the
        catalogue in its place or begins none. ``previous``: the word before it, None when
        ``word`` is the query's first."""
        lowered = word.lower()
        folded = _fold(lowered)
        context = START if previous is None else _fold(previous.lower())
        # typed without diacritics (this word and the one before): finished without them
        plain = lowered == folded and (previous is None or previous.lower() == context)
        if (context, lowered) in self.seen:
            return word  # a whole syllable in its place
        found = self.completions.get((context, lowered)) or self.completions.get((context, folded))
        if found is None:
            if ("", lowered) in self.seen:
                return word
            found = self.completions.get(("", lowered)) or self.completions.get(("", folded))
        if found is None:
            return word
        return _fold(found) if plain else found


def _commonest(counts: Counter[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """For each (context, start of a word), the commonest word so begun in that context; of
    equally common ones the shortest, then one written with its diacritics ("thực" before
    "thuc": a name's words, as the dense channel knows them), then the first alphabetically."""
    best: dict[tuple[str, str], tuple[int, int, bool, str]] = {}
    for (context, word), count in counts.items():
        rank = (-count, len(word), word == _fold(word), word)
        for end in range(1, len(word)):
            key = (context, word[:end])
            held = best.get(key)
            if held is None or rank < held:
                best[key] = rank
    return {key: rank[3] for key, rank in best.items()}


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    return fold(word)


def _words(text: str) -> list[str]:
    return _WORD.findall(nfc(text).lower())


_SYLLABLES: dict[int, tuple[KnowledgeIndex, Syllables]] = {}


def syllables_of(index: KnowledgeIndex) -> Syllables:
    """The syllables of ``index``'s procedure names, computed once per loaded index."""
    held = _SYLLABLES.get(id(index))
    if held is None or held[0] is not index:
        if len(_SYLLABLES) >= 4:  # an index is replaced rarely; tests build several
            _SYLLABLES.clear()
        held = (index, Syllables.of(name for doc in index.docs for name in doc.names))
        _SYLLABLES[id(index)] = held
    return held[1]


def finish_last_word(text: str, syllables: Syllables) -> str:
    """``text`` with its last word finished (:meth:`Syllables.finish`)."""
    found = _LAST_WORD.search(text)
    if found is None:
        return text
    before = _WORD.findall(text[: found.start()])
    finished = syllables.finish(found.group(0), before[-1] if before else None)
    return text[: found.start()] + finished


def look_up(knowledge: Knowledge, query: str, limit: int = MAX_RESULTS) -> Lookup:
    """The procedures ``query`` names: by code, by the start of a code, or by retrieval."""
    text = nfc(query)
    procedures = knowledge.catalogue.procedures
    if not text:
        return Lookup(text, LookupKind.EMPTY)
    if CODE_PATTERN.match(text):
        if text in procedures:
            return Lookup(text, LookupKind.CODE, (_item(knowledge, text),))
        return Lookup(text, LookupKind.UNKNOWN_CODE)
    if CODE_START.match(text):
        codes = sorted(code for code in procedures if code.startswith(text))[:limit]
        return Lookup(text, LookupKind.CODE_START, tuple(_item(knowledge, c) for c in codes))
    try:
        check_query(text)
    except InvalidQuery:
        return Lookup(text, LookupKind.TOO_LONG)
    # a query ending with a space ends with a whole word; else its last word is being typed
    whole = query[-1:].isspace()
    searched = text if whole else finish_last_word(text, syllables_of(knowledge.index))
    if len(searched) > MAX_QUERY_CHARS:  # finishing the word made it too long: search as typed
        searched = text
    result = knowledge.searcher.search(searched, k=limit)
    items = tuple(_item(knowledge, hit.code) for hit in result.hits if hit.code in procedures)
    return Lookup(text, LookupKind.SEARCH, items, result.answerable, searched)


def _item(knowledge: Knowledge, code: str) -> LookupItem:
    procedure = knowledge.catalogue.procedures[code]
    return LookupItem(procedure.code, procedure.name, procedure.field)
