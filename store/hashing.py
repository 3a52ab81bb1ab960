"""Keyed hashes: the only form in which the store keeps a second factor or a lookup key.

Every hash is HMAC-SHA256 keyed with ``settings.secret_key``, with a purpose label so that a
hash made for one use never equals one made for another. Without the key, a leaked database
does not let anyone test the 10,000 possible last-4 digits of a record offline.
"""

from __future__ import annotations

import hashlib
import hmac

_DUMMY = "0" * 64


def _hmac(secret: str, purpose: str, *parts: str) -> str:
    message = "\x1f".join((purpose, *parts)).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verification_hash(secret: str, code: str, digits: str) -> str:
    """The stored form of a second factor: HMAC over the canonical code and 4 digits."""
    return _hmac(secret, "record-verify-v1", code, digits)


def key_hash(secret: str, kind: str, *values: str) -> str:
    """A rate-limiting key: ``kind`` names what is counted, ``values`` whose.

    E.g. ``key_hash(s, "code", code)``, ``key_hash(s, "source", source)`` or
    ``key_hash(s, "code-source", code, source)``. With one value the hash is the same as it
    always was, so failures stored before keep counting.
    """
    if not values:
        raise ValueError("a rate-limiting key needs at least one value")
    return _hmac(secret, f"lookup-key-v1:{kind}", *values)


def log_hash(secret: str, value: str) -> str:
    """A short keyed hash, safe to write to logs in place of a record code."""
    return _hmac(secret, "log-v1", value)[:12]


def matches(candidate: str, stored: str | None) -> bool:
    """Constant-time comparison; a missing hash is compared with a dummy and never matches."""
    if stored is None:
        hmac.compare_digest(candidate, _DUMMY)
        return False
    return hmac.compare_digest(candidate, stored)


def last4(value: str) -> str | None:
    """The last 4 digits of a phone or ID number (any punctuation ignored), or None."""
    digits = "".join(c for c in value if c.isascii() and c.isdigit())
    return digits[-4:] if len(digits) >= 4 else None


def sign_in_key(secret: str, username: str) -> str:
    """The key failed staff sign-ins with ``username`` (folded) are counted under.

    Keyed, so that a password typed into the username field is not kept readable.
    """
    return _hmac(secret, "sign-in-key-v1", username)


def sign_in_address_key(secret: str, address: str) -> str:
    """The key failed staff sign-ins from one client address are counted under.

    Keyed, so that the failures table never holds an address in clear; its own purpose
    label, so that it never equals the key of a username.
    """
    return _hmac(secret, "sign-in-address-key-v1", address)
