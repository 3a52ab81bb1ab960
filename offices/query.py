"""Free text ("p.1 q.3 tp hcm", "Phuc Xa ward, Ba Dinh district, Hanoi") as tokens and hints.

The parse does not decide where the ward ends and the district begins; it only records what
the text says for sure (commas, abbreviations, English type words) and where a Vietnamese type
word *might* be a prefix. The resolver tries the possible splits against the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from offices.normalize import (
    ABBREVIATED_PREFIXES,
    ENGLISH_TYPES,
    LETTER_PREFIXES,
    TRAILING_NOISE,
    Token,
    UnitKind,
    match_prefix,
    tokenize,
)


@dataclass(frozen=True)
class ParsedText:
    """Tokens of a query, with what the text says about where parts begin and end."""

    text: str
    tokens: tuple[Token, ...]
    # Positions where a part must start: after a comma or an unambiguous type word.
    boundaries: frozenset[int]
    # Kind named by an unambiguous prefix ("tp", "p.", "District 3") of the part starting here.
    prefix_kinds: dict[int, UnitKind] = field(default_factory=dict)
    # Kind named by an English suffix ("Ba Dinh district") of the part ending here.
    suffix_kinds: dict[int, UnitKind] = field(default_factory=dict)
    # Vietnamese type words that may be prefixes: position -> (length, kind).
    soft_prefixes: dict[int, tuple[int, UnitKind]] = field(default_factory=dict)

    @property
    def marked(self) -> bool:
        """Whether the text was typed with diacritics (then unmarked words mean no marks)."""
        return any(t.marked for t in self.tokens)

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.tokens]

    def next_boundary(self, start: int) -> int:
        """The first boundary after ``start`` (the end of the text if none)."""
        return min((b for b in self.boundaries if b > start), default=len(self.tokens))


def parse(text: str, max_tokens: int | None = None) -> ParsedText:
    """Tokenise ``text`` and mark boundaries, certain type words and possible prefixes."""
    raw = _strip_trailing_noise(tokenize(text)[:max_tokens])
    tokens: list[Token] = []
    boundaries = {0}
    prefix_kinds: dict[int, UnitKind] = {}
    suffix_kinds: dict[int, UnitKind] = {}
    for index, token in enumerate(raw):
        after = raw[index + 1] if index + 1 < len(raw) else None
        here = len(tokens)
        if token.boundary_before:
            boundaries.add(here)
        key = token.key
        followed = after is not None and not after.boundary_before
        if key in ABBREVIATED_PREFIXES and followed:
            boundaries.add(here)
            prefix_kinds[here] = ABBREVIATED_PREFIXES[key]
        elif (
            key in LETTER_PREFIXES
            and followed
            and after is not None
            and (token.dotted or after.is_number)
        ):
            boundaries.add(here)
            prefix_kinds[here] = LETTER_PREFIXES[key]
        elif key in ENGLISH_TYPES:
            if key == "zone" and tokens and tokens[-1].key == "special":
                tokens.pop()
                here -= 1
            if followed and after is not None and after.is_number:
                boundaries.add(here)
                prefix_kinds[here] = ENGLISH_TYPES[key]
            elif tokens:
                suffix_kinds[here] = ENGLISH_TYPES[key]
                boundaries.add(here)
            # The next token starts a new part in either case.
            if after is not None:
                after_index = index + 1
                raw[after_index] = _with_boundary(raw[after_index])
        else:
            tokens.append(token)
    keys = [t.key for t in tokens]
    soft: dict[int, tuple[int, UnitKind]] = {}
    for position in range(len(tokens)):
        found = match_prefix(keys, position)
        if found is not None:
            soft[position] = found
    return ParsedText(
        text=text,
        tokens=tuple(tokens),
        boundaries=frozenset(b for b in boundaries if b < len(tokens)) | {0},
        prefix_kinds=prefix_kinds,
        suffix_kinds=suffix_kinds,
        soft_prefixes=soft,
    )


def _with_boundary(token: Token) -> Token:
    return Token(token.key, token.accent, token.marked, token.dotted, boundary_before=True)


def _strip_trailing_noise(tokens: list[Token]) -> list[Token]:
    keys = [t.key for t in tokens]
    for noise in TRAILING_NOISE:
        if len(keys) > len(noise) and tuple(keys[-len(noise) :]) == noise:
            return tokens[: -len(noise)]
    return tokens
