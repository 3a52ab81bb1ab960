"""Vietnamese text normalisation for matching: NFC, case, diacritic folding, abbreviations.

The original text is kept for display and for the dense channel; folded text is only for
matching, because many citizens type without diacritics ("lam giay khai sinh").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

_TOKEN = re.compile(r"[0-9a-z]+")
_SPACE = re.compile(r"\s+")

# Common abbreviations typed by citizens and staff, on folded text. Expansions are folded too.
ABBREVIATIONS: dict[str, str] = {
    "dk": "dang ky",
    "dki": "dang ky",
    "dky": "dang ky",
    "cccd": "can cuoc cong dan",
    "cmnd": "chung minh nhan dan",
    "cmt": "chung minh nhan dan",
    "hk": "ho khau",
    "gcn": "giay chung nhan",
    "qsdd": "quyen su dung dat",
    "qsd": "quyen su dung",
    "gks": "giay khai sinh",
    "gpxd": "giay phep xay dung",
    "gpkd": "giay phep kinh doanh",
    "hkd": "ho kinh doanh",
    "dkkd": "dang ky kinh doanh",
    "tthc": "thu tuc hanh chinh",
    "ubnd": "uy ban nhan dan",
    "bhyt": "bao hiem y te",
    "lltp": "ly lich tu phap",
    "xn": "xac nhan",
    "xntthn": "xac nhan tinh trang hon nhan",
    "tthn": "tinh trang hon nhan",
    "dvc": "dich vu cong",
    "hc": "ho chieu",
    "ttxh": "tro cap xa hoi",
    "gt": "giay to",
    "gto": "giay to",
    "bn": "bao nhieu",
    "bnhieu": "bao nhieu",
    "ko": "khong",
    "k": "khong",
    "j": "gi",
    "ntn": "nhu the nao",
    # the same syllable written with a final i or y ("đăng kí" / "đăng ký", "lí do" / "lý do")
    "ki": "ky",
    "li": "ly",
    "qui": "quy",
    "sdo": "so do",
}

# Phrases that carry the question's intent (what, how long, how much) rather than the
# procedure. Dropped from lexical queries so they neither match nor dilute coverage.
QUESTION_PHRASES: tuple[str, ...] = (
    "can nhung giay to gi",
    "can giay to gi",
    "can nhung gi",
    "giay to gi",
    "ho so gom nhung gi",
    "ho so gom",
    "can gi",
    "mat bao lau",
    "bao lau thi xong",
    "bao lau",
    "mat bao nhieu tien",
    "het bao nhieu tien",
    "bao nhieu tien",
    "bao nhieu",
    "le phi",
    "chi phi",
    "ton bao nhieu",
    "o dau",
    "lam o dau",
    "nop o dau",
    "nhu the nao",
    "the nao",
    "lam sao",
    "lam the nao",
    "co duoc khong",
    "duoc khong",
    "thu tuc",
    "hoi ve",
    "cho toi hoi",
    "cho hoi",
    "xin hoi",
    "a oi",
    "how long does it take",
    "how much does it cost",
    "how much",
    "how long",
    "what documents do i need",
    "what documents",
    "what do i need",
    "do i need",
    "how do i",
    "how to",
    "where can i",
    "where do i",
    "i want to",
    "can i",
    "the procedure for",
    "procedure",
)

# Function words (folded) that say nothing about which procedure is meant. They are ignored
# when the catalogue does not know them, instead of counting as unmatched content.
STOPWORDS: frozenset[str] = frozenset(
    """
    toi minh em anh chi ong ba co chu bac cau ban ho nguoi ta chung
    co khong ko hok k duoc thi la ma cua va voi de da dang se roi nay kia nao gi ai sao
    a ah ak oi ui nha nhe vay the nhi muon can phai bi o tai ra vao len xuong di ve tu theo
    khi neu nen vi hay hoac moi cung nhu nhung cac mot hai nhieu it giup xin hoi biet cho
    dau duoc gio luc nao lam sao bao lau tien mat het ton rat qua lai van con
    i me my we our you your he she his her they their it its a an the to of for in on at by
    with from and or do does did is are was were be been am have has had how what where when
    which who why can could should would will need want get got please there this that these
    those if so just about any some much many long
    """.split()
)

_QUESTION_RE = re.compile(
    r"\b(?:"
    + "|".join(re.escape(p) for p in sorted(QUESTION_PHRASES, key=len, reverse=True))
    + r")\b"
)


def nfc(text: str) -> str:
    """Unicode NFC with collapsed whitespace."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Lower-case and strip diacritics: "Đăng ký" -> "dang ky"."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "d")


def tokens(text: str) -> list[str]:
    """Folded syllable tokens of ``text``."""
    return _TOKEN.findall(fold(text))


def expand_abbreviations(words: Iterable[str]) -> list[str]:
    """Replace known abbreviations by their (folded) expansion."""
    out: list[str] = []
    for word in words:
        out.extend(ABBREVIATIONS.get(word, word).split())
    return out


def normalize(text: str) -> str:
    """Folded text with abbreviations expanded: the form matching works on."""
    return " ".join(expand_abbreviations(tokens(text)))


def strip_question(folded: str) -> str:
    """Drop question phrases ("can gi", "bao lau", "how much") from folded text."""
    return _SPACE.sub(" ", _QUESTION_RE.sub(" ", folded)).strip()


def has_diacritics(text: str) -> bool:
    """True when the text carries Vietnamese diacritics (so folding changes it)."""
    return fold(text) != text.lower()


def with_bigrams(words: list[str]) -> list[str]:
    """Syllables plus adjacent syllable bigrams ("khai_sinh"): Vietnamese words span syllables."""
    return words + [f"{a}_{b}" for a, b in pairwise(words)]


# Words that say *what* is asked about a procedure (its fee, time, papers, place) and never
# *which* procedure: left out of what the dense channel embeds, so that "… có mất phí không"
# finds the same procedure as the words before it. Folded; longest first when matched.
TOPIC_PHRASES: tuple[str, ...] = (
    *QUESTION_PHRASES,
    "co mat phi khong",
    "co mat tien khong",
    "co ton phi khong",
    "mat phi",
    "mat tien",
    "ton phi",
    "mien phi",
    "phi",
    "het may ngay",
    "mat may ngay",
    "may ngay",
    "bao nhieu ngay",
    "how much does it cost to",
    "how much is it to",
    "how much is the",
    "how much to",
    "how much is",
    "cost",
    "costs",
    "fee",
    "fees",
    "charge",
    "charges",
    "price",
    "how long",
    "take",
    "takes",
    "papers",
    "documents",
    # politeness says nothing about the procedure
    "xin cam on",
    "cam on",
    "thank you",
    "thanks",
)
_TOPIC_WORDS = sorted((p.split() for p in TOPIC_PHRASES), key=len, reverse=True)
_WORD = re.compile(r"\w+", re.UNICODE)


def without_topic(text: str) -> str:
    """``text`` without the phrases that only say what is asked (:data:`TOPIC_PHRASES`), its
    other words unchanged (diacritics kept); the text itself when nothing else is left."""
    words = _WORD.findall(text)
    folded = [fold(w) for w in words]
    kept: list[str] = []
    i = 0
    while i < len(words):
        match = next(
            (len(p) for p in _TOPIC_WORDS if folded[i : i + len(p)] == p),
            0,
        )
        if match:
            i += match
            continue
        kept.append(words[i])
        i += 1
    return " ".join(kept) if kept else text
