"""What the messaging platforms share across replicas: events once, reply windows, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.channels import ChannelLedger, TokenPair, TokenStore
from tests.store.conftest import NOW, TEST_SECRET, Db


def test_an_event_is_taken_once_whichever_replica_it_reaches(db: Db) -> None:
    first, second = (
        ChannelLedger(db.sessions, TEST_SECRET),
        ChannelLedger(db.replica(), TEST_SECRET),
    )
    assert first.first_delivery("zalo", "msg-1", NOW)
    assert not second.first_delivery("zalo", "msg-1", NOW)
    assert second.first_delivery("messenger", "msg-1", NOW)  # another platform's id
    assert db.scalar("SELECT count(*) FROM channel_events WHERE event_hash LIKE '%msg%'") == 0


def test_old_event_ids_are_forgotten(db: Db) -> None:
    ledger = ChannelLedger(db.sessions, TEST_SECRET)
    ledger.first_delivery("zalo", "old", NOW - timedelta(days=8))
    ledger.first_delivery("zalo", "new", NOW)
    assert ledger.forget_old_events(NOW) == 1
    assert ledger.first_delivery("zalo", "old", NOW)
    assert not ledger.first_delivery("zalo", "new", NOW)


def test_the_last_message_time_is_kept_under_a_keyed_hash(db: Db) -> None:
    ledger = ChannelLedger(db.sessions, TEST_SECRET)
    assert ledger.last_inbound("messenger", "psid-123") is None
    ledger.saw_user("messenger", "psid-123", NOW - timedelta(hours=1))
    ledger.saw_user("messenger", "psid-123", NOW)
    ledger.saw_user("messenger", "psid-123", NOW - timedelta(hours=2))  # a late, older event
    assert ChannelLedger(db.replica(), TEST_SECRET).last_inbound("messenger", "psid-123") == NOW
    assert ledger.last_inbound("zalo", "psid-123") is None
    stored = db.rows("SELECT user_hash FROM channel_contacts")
    assert all("psid-123" not in row[0] for row in stored)


def test_tokens_are_sealed_and_refreshed_by_one_replica(db: Db) -> None:
    store = TokenStore(db.sessions, TEST_SECRET, "zalo")
    assert store.get() is None
    store.save(TokenPair("access-1", "refresh-1", NOW + timedelta(minutes=5)), NOW)
    assert b"access-1" not in bytes(db.scalar("SELECT sealed FROM channel_tokens"))
    calls: list[str] = []

    def refresher(pair: TokenPair) -> TokenPair:
        calls.append(pair.refresh_token)
        return TokenPair("access-2", "refresh-2", NOW + timedelta(hours=25))

    def good(pair: TokenPair) -> bool:
        return pair.expires_at > NOW + timedelta(hours=1)

    fresh = store.refresh(good, refresher, NOW)
    assert fresh is not None and fresh.access_token == "access-2"
    other = TokenStore(db.replica(), TEST_SECRET, "zalo").refresh(good, refresher, NOW)
    assert other is not None and other.refresh_token == "refresh-2"
    assert calls == ["refresh-1"]  # the second replica found it fresh


def test_a_failed_refresh_keeps_the_stored_pair(db: Db) -> None:
    store = TokenStore(db.sessions, TEST_SECRET, "zalo")
    store.save(TokenPair("access-1", "refresh-1", NOW), NOW)

    def broken(pair: TokenPair) -> TokenPair:
        raise ConnectionError("platform down")

    with pytest.raises(ConnectionError):
        store.refresh(lambda pair: False, broken, NOW)
    assert store.get() == TokenPair("access-1", "refresh-1", NOW)


def test_tokens_sealed_under_another_secret_read_as_nothing(db: Db) -> None:
    TokenStore(db.sessions, TEST_SECRET, "zalo").save(TokenPair("a", "r", NOW), NOW)
    assert TokenStore(db.sessions, "another-secret-of-enough-length-000", "zalo").get() is None
