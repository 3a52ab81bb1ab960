"""What may appear in logs: keyed hashes of identifiers, never the identifiers or the text."""

from __future__ import annotations

from pydantic import SecretStr

from store.hashing import log_hash


def conversation_tag(secret: str, conversation_id: str) -> str:
    """A short keyed hash of a conversation id (Telegram ids are guessable; hashes are not)."""
    return log_hash(secret, "conversation:" + conversation_id)


def address_tag(secret: str, address: str) -> str:
    """A short keyed hash of a client address, for logs and rate-limit keys."""
    return log_hash(secret, "address:" + address)


def redact(text: str, secret: SecretStr | None, placeholder: str = "<token>") -> str:
    """``text`` without ``secret`` (python-telegram-bot puts the token in some errors)."""
    if secret is None or not secret.get_secret_value():
        return text
    return text.replace(secret.get_secret_value(), placeholder)
