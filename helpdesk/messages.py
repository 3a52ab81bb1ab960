"""What citizens read, in one catalogue: ``messages.yml``, each key's text in every language.

Keys name a situation (``record.not_found``, ``lookup.refused.code_guarded``,
``chat.too_long``); texts are ``str.format`` templates with named fields, and each key declares
its fields. :func:`text` refuses an unknown key or language, a missing field and a field the
key does not declare, so a caller and its sentence cannot drift apart unnoticed.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGUAGES: tuple[str, ...] = ("vi", "en")
"""Every language the catalogue must hold, Vietnamese first."""

_FILE = "messages.yml"


class MessageError(KeyError):
    """An unknown key or language, or fields that do not match the key's declaration."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True)
class Message:
    """One key: its declared fields and its template in each language."""

    key: str
    fields: frozenset[str]
    texts: dict[str, str]


def template_fields(template: str) -> frozenset[str]:
    """The names of the fields a ``str.format`` template uses."""
    return frozenset(
        name.split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name is not None
    )


@cache
def catalogue() -> dict[str, Message]:
    """Every key of ``messages.yml``, read once."""
    raw = yaml.safe_load(resources.files(__package__).joinpath(_FILE).read_text("utf-8"))
    if not isinstance(raw, dict):
        raise MessageError(f"{_FILE} must map keys to messages")
    messages: dict[str, Message] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise MessageError(f"{_FILE}: {key} must map 'fields' and languages to texts")
        fields = entry.get("fields") or []
        texts = {lang: value for lang, value in entry.items() if lang != "fields"}
        if not all(isinstance(value, str) for value in texts.values()):
            raise MessageError(f"{_FILE}: every text of {key} must be a string")
        messages[str(key)] = Message(str(key), frozenset(map(str, fields)), texts)
    return messages


def fields_of(key: str) -> frozenset[str]:
    """The fields ``key`` declares, which every call must pass."""
    return _message(key).fields


def text(key: str, lang: str, **fields: Any) -> str:
    """The text of ``key`` in ``lang``, its fields filled.

    Raises:
        MessageError: The key or the language is unknown, a declared field is missing, or a
            field was passed that the key does not declare.
    """
    message = _message(key)
    given = frozenset(fields)
    if given != message.fields:
        missing = sorted(message.fields - given)
        extra = sorted(given - message.fields)
        raise MessageError(f"{key}: fields missing {missing}, not declared {extra}")
    try:
        template = message.texts[lang]
    except KeyError:
        raise MessageError(f"{key}: no text in language {lang!r}") from None
    return template.format(**fields)


def _message(key: str) -> Message:
    try:
        return catalogue()[key]
    except KeyError:
        raise MessageError(f"no message {key!r} in {_FILE}") from None
