"""Every spelling of every procedure's name and aliases, mapped to its code.

Spellings are as written, folded (no diacritics) and with the abbreviations citizens type
("dk", "cccd"). A spelling that two procedures share is left out: it names no single
procedure, so the action server falls back to retrieval on the message.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from botdata.render import clean, longest_first
from knowledge.normalize import ABBREVIATIONS, fold

_PARENS = re.compile(r"\([^)]*\)")
_HAS_LETTER = re.compile(r"[^\W\d_]")

# Multi-word expansions and the abbreviations citizens type for them (from ABBREVIATIONS).
_CONTRACTIONS: dict[str, list[str]] = defaultdict(list)
for _abbr, _expansion in ABBREVIATIONS.items():
    if " " in _expansion:
        _CONTRACTIONS[_expansion].append(_abbr)
# Longest expansion first, so "dang ky kinh doanh" becomes "dkkd" rather than "dk kinh doanh".
_EXPANSIONS = sorted(_CONTRACTIONS, key=lambda e: (-len(e), e))
# The same with diacritics, for keys typed with them: "đăng ký" -> "đk".
_DIACRITIC_CONTRACTIONS = {"đăng ký": ("đk", "đky")}
# Official names longer than this are listed as written and folded only: nobody types them
# in full, so abbreviated variants of them would only bloat the lookup table.
_MAX_VARIED_WORDS = 8
# Longer ones are not listed at all: a whole clause of a legal title is never typed, and a
# lookup entry that long is mistaken by Rasa for a file name. Their aliases still are.
_MAX_LISTED_WORDS = 16


def procedure_synonyms(
    named: Iterable[tuple[str, list[str], list[str]]],
) -> tuple[dict[str, str], list[str]]:
    """Every spelling of every procedure -> its code; spellings shared by two codes dropped.

    Args:
        named: (code, official names, aliases) for each procedure.

    Returns:
        The spellings (lower case, longest first) with their codes, and the dropped ones.
    """
    codes_of: dict[str, set[str]] = defaultdict(set)
    for code, names, aliases in named:
        phrases = [p for name in names for p in _name_phrases(name)] + aliases
        for phrase in phrases:
            for key in procedure_variants(phrase):
                codes_of[key].add(code)
    ambiguous = sorted(key for key, codes in codes_of.items() if len(codes) > 1)
    keys = sorted((k for k, c in codes_of.items() if len(c) == 1), key=longest_first)
    return {key: next(iter(codes_of[key])) for key in keys}, ambiguous


def _name_phrases(name: str) -> list[str]:
    """A name without its bracketed notes, and its first clause when that says enough.

    "Cấp hộ chiếu phổ thông ở trong nước (thực hiện tại cấp tỉnh)" -> the part before the
    bracket; "Tạm ngừng kinh doanh, tiếp tục kinh doanh ..." -> also "Tạm ngừng kinh doanh".
    A first clause of fewer than three words ("Thay đổi") would name nothing in particular.
    """
    plain = clean(_PARENS.sub(" ", name))
    phrases = [plain]
    head = plain.split(",", 1)[0].strip()
    if head != plain and len(head.split()) >= 3:
        phrases.append(head)
    return phrases


def procedure_variants(phrase: str) -> set[str]:
    """Spellings of one procedure phrase: as written, folded, with abbreviations both ways.

    "Đăng ký khai sinh" -> "đăng ký khai sinh", "đk khai sinh", "dang ky khai sinh",
    "dk khai sinh", "dky khai sinh", "dki khai sinh".
    """
    written = clean(phrase).lower()
    if not written:
        return set()
    folded = fold(written)
    if len(written.split()) > _MAX_LISTED_WORDS:
        return set()
    if len(written.split()) > _MAX_VARIED_WORDS:
        return {written, folded}
    expanded = " ".join(ABBREVIATIONS.get(w, w) if len(w) > 1 else w for w in folded.split())
    variants = {written, folded, expanded}
    for base in (folded, expanded):
        variants.add(_contract_all(base))
        for expansion in _EXPANSIONS:
            if _contains_words(base, expansion):
                for abbr in _CONTRACTIONS[expansion]:
                    variants.add(_replace_words(base, expansion, abbr))
    for phrase_with_marks, abbrs in _DIACRITIC_CONTRACTIONS.items():
        if _contains_words(written, phrase_with_marks):
            for abbr in abbrs:
                variants.add(_replace_words(written, phrase_with_marks, abbr))
    return {v for v in variants if len(v) >= 3 and _HAS_LETTER.search(v)}


def _contract_all(folded: str) -> str:
    for expansion in _EXPANSIONS:
        if _contains_words(folded, expansion):
            folded = _replace_words(folded, expansion, _CONTRACTIONS[expansion][0])
    return folded


def _contains_words(text: str, words: str) -> bool:
    return f" {words} " in f" {text} "


def _replace_words(text: str, words: str, by: str) -> str:
    return f" {text} ".replace(f" {words} ", f" {by} ").strip()
