"""Second factors in transit: one-time tokens that stand for a citizen's digits.

While the bot waits for the last digits of a phone or ID number, the gateway takes them out of
the message and sends Rasa a token instead; only the action server redeems it, once, within
minutes, in the same conversation. Nothing stored alone reveals the digits:

- the token (in Rasa's tracker) is a random row id and a random key;
- the row (here) holds the digits sealed with that key (AES-GCM), under a hash of the row id,
  bound to a keyed hash of the conversation, and is deleted when redeemed or expired.

The same table family remembers, per conversation, that the bot has just asked for a factor
(``awaiting``), so that every gateway replica treats the next message alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import StoreUnavailable
from store.hashing import key_hash
from store.models import AwaitingFactor, FactorToken
from store.status import utc_now

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "ft_"
_ID_BYTES = 16
_KEY_BYTES = 16
_NONCE_BYTES = 12
TOKEN_PATTERN = re.compile(r"^ft_[A-Za-z0-9_-]{43}$")
DEFAULT_TTL_SECONDS = 600


def is_token(value: object) -> bool:
    """Does ``value`` have the shape of a factor token (not whether it is valid)?"""
    return isinstance(value, str) and TOKEN_PATTERN.match(value) is not None


def _split(token: str) -> tuple[bytes, bytes] | None:
    if not is_token(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :] + "=")
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _ID_BYTES + _KEY_BYTES:
        return None
    return raw[:_ID_BYTES], raw[_ID_BYTES:]


class FactorVault:
    """Issues and redeems factor tokens, and remembers which conversations await a factor.

    Args:
        session_factory: Sessions on the record store (shared by every replica).
        secret: The install's secret; keys the conversation hashes.
        ttl_seconds: How long a token, and the wait for a factor, last.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        secret: str,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> None:
        self._sessions = session_factory
        self._secret = secret
        self._ttl = timedelta(seconds=max(1, ttl_seconds))

    def _conversation(self, conversation_id: str) -> str:
        return key_hash(self._secret, "factor-conversation", conversation_id)

    def issue(self, conversation_id: str, digits: str, now: datetime | None = None) -> str:
        """A token standing for ``digits`` in this conversation, valid for ``ttl_seconds``."""
        now = now or utc_now()
        row_id, key = secrets.token_bytes(_ID_BYTES), secrets.token_bytes(_KEY_BYTES)
        conversation = self._conversation(conversation_id)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = nonce + AESGCM(key).encrypt(nonce, digits.encode(), conversation.encode())
        try:
            with self._sessions.begin() as session:
                session.execute(delete(FactorToken).where(FactorToken.expires_at <= now))
                session.add(
                    FactorToken(
                        id_hash=hashlib.sha256(row_id).hexdigest(),
                        conversation_hash=conversation,
                        sealed=sealed,
                        expires_at=now + self._ttl,
                    )
                )
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the factor store cannot be reached") from exc
        return TOKEN_PREFIX + base64.urlsafe_b64encode(row_id + key).decode().rstrip("=")

    def redeem(self, token: str, conversation_id: str, now: datetime | None = None) -> str | None:
        """The digits behind ``token``, once; None if unknown, used, expired or not this
        conversation's (a token used in another conversation is spent all the same)."""
        parts = _split(token)
        if parts is None:
            return None
        row_id, key = parts
        now = now or utc_now()
        try:
            with self._sessions.begin() as session:
                row = session.get(FactorToken, hashlib.sha256(row_id).hexdigest())
                if row is None:
                    return None
                session.delete(row)
                if row.expires_at <= now:
                    return None
                sealed, expected = bytes(row.sealed), row.conversation_hash
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the factor store cannot be reached") from exc
        conversation = self._conversation(conversation_id)
        if conversation != expected:
            return None
        try:
            nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
            return AESGCM(key).decrypt(nonce, body, conversation.encode()).decode()
        except (InvalidTag, ValueError):
            return None

    def expect(self, conversation_id: str, now: datetime | None = None) -> None:
        """The bot has asked this conversation for a factor."""
        now = now or utc_now()
        conversation = self._conversation(conversation_id)
        until = now + self._ttl
        try:
            with self._sessions.begin() as session:
                session.execute(delete(AwaitingFactor).where(AwaitingFactor.expires_at <= now))
                session.merge(AwaitingFactor(conversation_hash=conversation, expires_at=until))
        except IntegrityError:
            pass  # another replica recorded the same wait at the same moment
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the factor store cannot be reached") from exc

    def forget(self, conversation_id: str) -> None:
        """The bot no longer waits for a factor in this conversation."""
        conversation = self._conversation(conversation_id)
        try:
            with self._sessions.begin() as session:
                session.execute(
                    delete(AwaitingFactor).where(AwaitingFactor.conversation_hash == conversation)
                )
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the factor store cannot be reached") from exc

    def awaiting(self, conversation_id: str, now: datetime | None = None) -> bool:
        """Did the bot's last answer in this conversation ask for a factor (and not long ago)?"""
        now = now or utc_now()
        try:
            with self._sessions() as session:
                until = session.scalar(
                    select(AwaitingFactor.expires_at).where(
                        AwaitingFactor.conversation_hash == self._conversation(conversation_id)
                    )
                )
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the factor store cannot be reached") from exc
        return until is not None and until > now
