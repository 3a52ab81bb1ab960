"""Which procedure is the citizen asking about?

In order: a procedure the NLU recognised (entity ``procedure``, its value a code), unless
retrieval over the whole message finds a clearly better one; the words of the message itself
through retrieval; the procedure already under discussion (slot
``procedure``) when the message only asks something new about it ("còn lệ phí thì sao?").
Several close candidates become a choice; nothing above the threshold is said plainly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.lexical import LexicalIndex
from knowledge.normalize import STOPWORDS, normalize, strip_question
from knowledge.search import Hit, Searcher

# Words that say *what* is asked (documents, fee, time, place) but not *which* procedure.
TOPIC_WORDS = frozenset(
    """
    ho so giay to nop phi le tien thoi gian han truc tuyen online mang theo ngay lam viec
    nhan ket qua o dau cach thuc can cu phap ly quy dinh mau don to khai bao lau mat
    con thu tuc the nao sao xin hoi nua them chi tiet ve va cua cai do nay viec
    documents document papers fee fees cost price time long take where online apply office
    legal basis form forms what about and also more it that this go bring submit take
    there then ok okay please tell me
    """.split()
)
CODE = re.compile(r"^\d\.\d{6}$")
CLOSE_RATIO = 0.9
MAX_CHOICES = 3


@dataclass(frozen=True, slots=True)
class ProcedureFound:
    """The message is about this procedure."""

    code: str


@dataclass(frozen=True, slots=True)
class Choices:
    """Several procedures are about as likely: the citizen picks one (best first)."""

    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class NotFound:
    """The message names a procedure the catalogue does not hold."""


@dataclass(frozen=True, slots=True)
class AskWhich:
    """The message names no procedure and none is under discussion: ask which one."""


Found = ProcedureFound | Choices | NotFound | AskWhich


def is_follow_up(text: str, lexical: LexicalIndex | None = None) -> bool:
    """True when the message names no procedure, only a new question ("còn lệ phí?").

    Beyond question, topic and function words, it may hold one word the catalogue does not
    know ("and where do I go?"), but no word the catalogue does know.
    """
    words = [
        w
        for w in strip_question(normalize(text)).split()
        if w not in STOPWORDS and w not in TOPIC_WORDS
    ]
    if lexical is None or not words:
        return not words
    parsed = lexical.parse(" ".join(words))
    return not parsed.known and parsed.unknown <= 1


def find_procedure(
    searcher: Searcher,
    text: str,
    entity_code: str | None,
    current: str | None,
    known: set[str] | frozenset[str],
) -> Found:
    """Decide which procedure ``text`` is about (see the module docstring)."""
    if entity_code and CODE.match(entity_code) and entity_code in known:
        return ProcedureFound(_better_than_entity(searcher, text, entity_code) or entity_code)
    if text and not is_follow_up(text, searcher.index.lexical):
        result = searcher.search(text, k=MAX_CHOICES)
        if not result.answerable or not result.hits:
            return NotFound()
        top = result.hits[0]
        close = [h for h in result.hits[1:] if h.score >= CLOSE_RATIO * top.score]
        if close and top.code != current:
            return Choices((top, *close)[:MAX_CHOICES])
        return ProcedureFound(top.code)
    if current and current in known:
        return ProcedureFound(current)
    return AskWhich()


def _better_than_entity(searcher: Searcher, text: str, entity_code: str) -> str | None:
    """The procedure retrieval finds for ``text`` when it is clearly better than the one the
    NLU's lookup tables matched (a table matches "căn cước" in "làm lại căn cước bị mất"; the
    words "làm lại … bị mất" make it the reissue); None to keep the entity's."""
    if not text or is_follow_up(text, searcher.index.lexical):
        return None
    result = searcher.search(text, k=MAX_CHOICES)
    if not result.answerable or not result.hits or result.hits[0].code == entity_code:
        return None
    top = result.hits[0]
    named = next((h for h in result.hits if h.code == entity_code), None)
    if named is not None and named.score >= CLOSE_RATIO * top.score:
        return None
    return top.code
