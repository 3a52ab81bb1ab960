"""What the messaging platforms (Zalo, Messenger) need shared by every gateway replica.

- :meth:`ChannelLedger.first_delivery`: an event id is taken exactly once, whichever replica
  a (re)delivery reaches; ids are stored as hashes and forgotten after ``EVENT_DAYS``.
- :meth:`ChannelLedger.saw_user` / :meth:`ChannelLedger.last_inbound`: when a user last wrote,
  for the platforms' reply windows, under a keyed hash of the platform's user id.
- :class:`TokenStore`: a platform's access and refresh tokens, sealed (AES-GCM under a key
  derived from the install's secret), refreshed by one replica at a time.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import StoreUnavailable
from store.db import write_lock
from store.hashing import key_hash
from store.models import ChannelContact, ChannelEvent, ChannelToken
from store.status import utc_now

EVENT_DAYS = 7
_NONCE_BYTES = 12


class ChannelLedger:
    """Delivered events and users' last messages, per platform, in the record store."""

    def __init__(self, sessions: sessionmaker[Session], secret: str) -> None:
        self._sessions = sessions
        self._secret = secret

    def _user(self, platform: str, user_id: str) -> str:
        return key_hash(self._secret, "channel-user", platform, user_id)

    def first_delivery(self, platform: str, event_id: str, now: datetime | None = None) -> bool:
        """True the first time ``event_id`` of ``platform`` is seen by any replica, else False."""
        now = now or utc_now()
        digest = hashlib.sha256(event_id.encode("utf-8")).hexdigest()
        try:
            with self._sessions.begin() as session:
                session.add(ChannelEvent(platform=platform, event_hash=digest, received_at=now))
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc
        return True

    def forget_old_events(self, now: datetime | None = None) -> int:
        """Drop event ids older than ``EVENT_DAYS`` (platforms stop retrying long before)."""
        cutoff = (now or utc_now()) - timedelta(days=EVENT_DAYS)
        try:
            with self._sessions.begin() as session:
                result = session.execute(
                    delete(ChannelEvent).where(ChannelEvent.received_at < cutoff)
                )
                return int(getattr(result, "rowcount", 0) or 0)
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def saw_user(self, platform: str, user_id: str, now: datetime | None = None) -> None:
        """Remember that ``user_id`` wrote just now (opens the platform's reply window)."""
        now = now or utc_now()
        key = self._user(platform, user_id)
        try:
            with self._sessions.begin() as session:
                write_lock(session)
                row = session.get(ChannelContact, (platform, key), with_for_update=True)
                if row is None:
                    try:
                        with session.begin_nested():
                            session.add(
                                ChannelContact(
                                    platform=platform, user_hash=key, last_inbound_at=now
                                )
                            )
                        return
                    except IntegrityError:  # another replica added it first
                        row = session.get(ChannelContact, (platform, key), with_for_update=True)
                if row is not None and row.last_inbound_at < now:
                    row.last_inbound_at = now
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def last_inbound(self, platform: str, user_id: str) -> datetime | None:
        """When ``user_id`` last wrote, or None if never (or not since it was forgotten)."""
        try:
            with self._sessions() as session:
                row = session.get(ChannelContact, (platform, self._user(platform, user_id)))
                return row.last_inbound_at if row is not None else None
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime


class TokenStore:
    """One platform's tokens, sealed at rest and refreshed under the row's lock."""

    def __init__(self, sessions: sessionmaker[Session], secret: str, platform: str) -> None:
        self._sessions = sessions
        self._platform = platform
        key_material = key_hash(secret, "channel-token-key", platform)
        self._aead = AESGCM(bytes.fromhex(key_material))

    def _seal(self, pair: TokenPair) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        data = json.dumps({"a": pair.access_token, "r": pair.refresh_token}).encode()
        return nonce + self._aead.encrypt(nonce, data, self._platform.encode())

    def _open(self, row: ChannelToken) -> TokenPair | None:
        sealed = bytes(row.sealed)
        try:
            data = self._aead.decrypt(
                sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], self._platform.encode()
            )
        except InvalidTag:  # sealed under another secret: as if nothing were stored
            return None
        values = json.loads(data)
        return TokenPair(values["a"], values["r"], row.expires_at)

    def get(self) -> TokenPair | None:
        try:
            with self._sessions() as session:
                row = session.get(ChannelToken, self._platform)
                return self._open(row) if row is not None else None
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def save(self, pair: TokenPair, now: datetime | None = None) -> None:
        """Store ``pair`` (the first tokens from the environment, or a refreshed pair)."""
        now = now or utc_now()
        try:
            with self._sessions.begin() as session:
                write_lock(session)
                row = session.get(ChannelToken, self._platform, with_for_update=True)
                if row is None:
                    session.add(
                        ChannelToken(
                            platform=self._platform,
                            sealed=self._seal(pair),
                            expires_at=pair.expires_at,
                            updated_at=now,
                        )
                    )
                else:
                    row.sealed, row.expires_at, row.updated_at = (
                        self._seal(pair),
                        pair.expires_at,
                        now,
                    )
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def refresh(
        self,
        still_good: Callable[[TokenPair], bool],
        refresher: Callable[[TokenPair], TokenPair],
        now: datetime | None = None,
    ) -> TokenPair | None:
        """Refresh the stored pair with ``refresher`` unless ``still_good`` says another
        replica already did; the row stays locked meanwhile. None when nothing is stored.

        ``refresher`` is a blocking call to the platform; an exception from it leaves the
        stored pair unchanged and propagates.
        """
        now = now or utc_now()
        try:
            with self._sessions.begin() as session:
                write_lock(session)
                row = session.scalar(
                    select(ChannelToken)
                    .where(ChannelToken.platform == self._platform)
                    .with_for_update()
                )
                if row is None:
                    return None
                current = self._open(row)
                if current is None:
                    return None
                if still_good(current):
                    return current
                fresh = refresher(current)
                row.sealed, row.expires_at, row.updated_at = (
                    self._seal(fresh),
                    fresh.expires_at,
                    now,
                )
                return fresh
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc
