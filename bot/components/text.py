"""Pure-Python text logic behind the custom NLU components: folding and language guessing.

This module must stay importable in both environments: the Rasa one (where the components
use it) and the modern one (where ``tests/bot`` checks it). So it imports nothing but the
standard library and ``knowledge.normalize`` (itself standard-library only), whose ``fold``
and ``ABBREVIATIONS`` it shares: the bot and the retrieval fold text the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from knowledge.normalize import ABBREVIATIONS, fold

_WORD = re.compile(r"[^\W\d_]+")


def fold_token(token: str) -> str:
    """One token as the folded featurizer sees it: folded, abbreviation expanded.

    The expansion stays one string ("dk" -> "dang ky") so the token count never changes.
    """
    folded = fold(token)
    return ABBREVIATIONS.get(folded, folded)


# --- language guessing -------------------------------------------------------------------

# Folded syllables that are common in Vietnamese messages and are not English words.
_VI_WORDS = frozenset(
    """
    toi minh em anh chi ong ba chu bac co cau chau tui
    muon can lam xin hoi giup voi cho duoc khong ko hok hong j gi sao nao nhieu bao lau
    dau o tai nop nhan thu tuc giay ho so phi le tien mat het ton ngay thang nam tuan gio
    khai sinh tu ket hon dang ky dk cccd cmnd cuoc cong dan chung minh thuc sao y ban chinh
    xa phuong huyen quan tinh thanh pho thi tran trung tam hanh uy nhan
    cam on chao tam biet vang da roi nhe nha ak ah oi uh ua ui
    nay kia do day vay the thi la ma va hay hoac nhung cac mot hai ba bon nam sau
    con cua nguoi nha dat xay dung kinh doanh tam tru thuong vang khau cat tach
    tra cuu ket qua xong chua bao gio hieu biet noi tieng viet
    moi cu lai bi mat hong doi cap gia han lan dau truc tuyen mang qua buu dien
    huong dan thong tin danh sach can cuoc hieu luc het han duyet tiep
    """.split()
)

# Common English words that are not Vietnamese syllables once folded.
_EN_WORDS = frozenset(
    """
    i me my you your we our they he she it is are was were be been am have has had
    what where when which who why how does did will would could should shall must
    need want get got make take give tell help please thanks thank yes
    the of for with from about into than then there here this that these those
    and or but not don't dont doesn't isn't cannot can't
    document documents paper papers fee fees cost costs price pay paid charge
    time long days day week weeks month months year years hours
    office offices apply application register registration certificate certify
    birth marriage married death card identity passport permit license licence
    status record records check track code number digits last phone
    online website portal submit send where near nearest address open opening
    speak english language talk person human staff agent someone real bot robot
    bye goodbye morning afternoon evening hello sorry know understand
    question ask answer wrong right good great nice ok okay fine sure
    house land building business shop child baby son daughter wife husband
    ward commune district city province town street village live living
    old new lost replace renew change correct copy copies
    """.split()
)

# Folded words both languages use (or that fold onto English words): never evidence.
_SHARED = frozenset(
    """
    a an o to do so on no me ma la the can ban bo ho hi in it my tin bay
    ok okay hello hey bye alo sorry thanks thank
    """.split()
)
_VI_ONLY = _VI_WORDS - _EN_WORDS - _SHARED
_EN_ONLY = _EN_WORDS - _VI_WORDS - _SHARED

_NAMES_ENGLISH = re.compile(r"\b(?:english|tieng anh|eng)\b")
_NAMES_VIETNAMESE = re.compile(r"\b(?:vietnamese|tieng viet|viet ngu)\b")
_TALKS_ABOUT_LANGUAGE = re.compile(r"\b(?:ngon ngu|language|lang)\b")
_NEGATION = re.compile(r"\b(?:not|don'?t|doesn'?t|can'?t|cannot|no|khong|ko|k|chua|hok)\b")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A language guess for one message and the evidence counted for it."""

    language: str | None
    vietnamese: float
    english: float
    requested: bool = False  # the message named the language it wants

    @property
    def confidence(self) -> float:
        """Share of the evidence that supports the guess (1.0 for a named language)."""
        if self.requested:
            return 1.0
        total = self.vietnamese + self.english
        if self.language is None or total == 0:
            return 0.0
        top = self.vietnamese if self.language == "vi" else self.english
        return round(top / total, 3)


def guess_language(text: str) -> LanguageGuess:
    """Guess whether a message is Vietnamese ("vi") or English ("en"), or say nothing.

    Evidence: words carrying Vietnamese diacritics and common Vietnamese syllables typed
    without them (half weight for a capitalised word inside a sentence, usually a place name
    in an English message), and common English words. Codes, digits and words both
    languages use ("ok", "hello") count for nothing, so short or ambiguous messages leave the
    language unchanged. A message that names a language ("speak English", "nói tiếng Việt")
    asks for that language, unless it is negated ("I don't speak Vietnamese"); one that asks
    to change the language without naming one ("đổi ngôn ngữ") says nothing, so the
    language action can switch to the other one.
    """
    if text.lstrip().startswith("/"):
        return LanguageGuess(None, 0.0, 0.0)  # a button payload, not typed text
    words = _WORD.findall(unicodedata.normalize("NFC", text))
    vietnamese = 0.0
    english = 0.0
    for position, word in enumerate(words):
        folded = fold(word)
        # a capitalised word inside a sentence is usually a place name ("in Hà Nội",
        # "Ho Chi Minh City"): weak evidence of the language the sentence is written in
        weight = 0.5 if position > 0 and word[:1].isupper() else 1.0
        if folded != word.lower() or folded in _VI_ONLY:
            vietnamese += weight
        elif folded in _EN_ONLY:
            english += 1.0
    base = _decide(vietnamese, english)

    folded_text = " ".join(fold(w) for w in re.findall(r"[^\W_]+(?:'[a-z]+)?", text))
    wants_en = bool(_NAMES_ENGLISH.search(folded_text))
    wants_vi = bool(_NAMES_VIETNAMESE.search(folded_text))
    if wants_en != wants_vi and not _NEGATION.search(folded_text):
        return LanguageGuess("en" if wants_en else "vi", vietnamese, english, requested=True)
    if not (wants_en or wants_vi) and _TALKS_ABOUT_LANGUAGE.search(folded_text):
        # "đổi ngôn ngữ" asks for the *other* language: say nothing, action_set_language toggles
        return LanguageGuess(None, vietnamese, english)
    return LanguageGuess(base, vietnamese, english)


def _decide(vietnamese: float, english: float) -> str | None:
    if vietnamese == 0 and english == 0:
        return None
    if english == 0:
        return "vi" if vietnamese >= 1 else None
    if vietnamese == 0:
        return "en"
    if vietnamese >= 2 * english:
        return "vi"
    if english >= 2 * vietnamese:
        return "en"
    return None
