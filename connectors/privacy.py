"""What may appear in logs: keyed hashes of identifiers, never the identifiers or the text."""

from __future__ import annotations

import ipaddress

from pydantic import SecretStr

from store.hashing import log_hash


def conversation_tag(secret: str, conversation_id: str) -> str:
    """A short keyed hash of a conversation id (Telegram ids are guessable; hashes are not)."""
    return log_hash(secret, "conversation:" + conversation_id)


def client_network(address: str) -> str:
    """What one client is counted as: its IPv4 address, or the /64 of its IPv6 address.

    An IPv6 host usually owns a whole /64 and can take any address in it, so counting single
    IPv6 addresses would let one client rotate past every limit. Anything that is not an IP
    address (a test client's name, a Unix socket) is returned unchanged.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def address_tag(secret: str, address: str) -> str:
    """A short keyed hash of a client (see :func:`client_network`), for logs and limits."""
    return log_hash(secret, "address:" + client_network(address))


def telegram_user_tag(secret: str, user_id: int) -> str:
    """A short keyed hash of a Telegram user id: who asks, across their chats."""
    return log_hash(secret, f"telegram-user:{user_id}")


def redact(text: str, secret: SecretStr | None, placeholder: str = "<token>") -> str:
    """``text`` without ``secret`` (python-telegram-bot puts the token in some errors)."""
    if secret is None or not secret.get_secret_value():
        return text
    return text.replace(secret.get_secret_value(), placeholder)
