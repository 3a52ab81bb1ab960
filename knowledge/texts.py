"""Which texts of a procedure each retrieval channel sees."""

from __future__ import annotations

from knowledge.model import Procedure
from knowledge.normalize import fold

MAX_ALIASES = 12


def lexical_text(procedure: Procedure) -> str:
    """One text for BM25: the name twice (it is the strongest evidence), aliases, English."""
    parts = [
        procedure.name,
        procedure.name,
        *procedure.aliases,
        procedure.name_en,
        procedure.summary_en,
        *procedure.aliases_en,
    ]
    return " . ".join(parts)


def dense_texts(procedure: Procedure) -> list[str]:
    """Short texts for the dense channel: embedding long cards is slow and blurs the match."""
    texts = [
        procedure.name,
        fold(procedure.name),
        procedure.name_en,
        f"{procedure.name_en}: {procedure.summary_en}",
        *procedure.aliases[:MAX_ALIASES],
        *procedure.aliases_en[:MAX_ALIASES],
    ]
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def naming_texts(procedure: Procedure) -> tuple[str, ...]:
    """Every name a question may use for the procedure, each on its own."""
    names = [procedure.name, *procedure.aliases, procedure.name_en, *procedure.aliases_en]
    return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
