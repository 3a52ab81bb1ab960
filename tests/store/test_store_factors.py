"""One-time factor tokens and the "awaiting a factor" flag, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from store.factors import FactorVault, is_token
from store.models import AwaitingFactor, FactorToken
from store.status import utc_now

if TYPE_CHECKING:
    from conftest import Db


def _vault(db: Db, ttl: int = 600) -> FactorVault:
    return FactorVault(db.sessions, db.settings.secret_key.get_secret_value(), ttl)


def test_a_token_gives_its_digits_once(db: Db) -> None:
    vault = _vault(db)
    token = vault.issue("web-abc12345", "4821")
    assert is_token(token) and "4821" not in token
    assert vault.redeem(token, "web-abc12345") == "4821"
    assert vault.redeem(token, "web-abc12345") is None  # single use


def test_a_token_works_only_in_its_conversation_and_is_spent_by_a_thief(db: Db) -> None:
    vault = _vault(db)
    token = vault.issue("tg-1001", "4821")
    assert vault.redeem(token, "web-tg-1001") is None
    assert vault.redeem(token, "tg-1001") is None


def test_an_expired_token_gives_nothing(db: Db) -> None:
    vault = _vault(db, ttl=60)
    now = utc_now()
    token = vault.issue("c-1", "12345678", now=now)
    assert vault.redeem(token, "c-1", now=now + timedelta(seconds=61)) is None


def test_forged_and_altered_tokens_give_nothing(db: Db) -> None:
    vault = _vault(db)
    token = vault.issue("c-1", "4821")
    assert vault.redeem("ft_" + "A" * 43, "c-1") is None
    assert vault.redeem("1234", "c-1") is None
    # same row id, another key: the row is spent and the digits stay sealed
    altered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    assert vault.redeem(altered, "c-1") is None
    assert vault.redeem(token, "c-1") is None


def test_nothing_stored_reveals_the_digits_or_the_conversation(db: Db) -> None:
    vault = _vault(db)
    vault.issue("web-secretconv", "4821")
    vault.expect("web-secretconv")
    with db.sessions() as session:
        rows = session.scalars(select(FactorToken)).all()
        waits = session.scalars(select(AwaitingFactor)).all()
    assert len(rows) == 1 and len(waits) == 1
    stored = " ".join(
        [rows[0].id_hash, rows[0].conversation_hash, waits[0].conversation_hash]
    ) + repr(bytes(rows[0].sealed))
    assert "4821" not in stored and "secretconv" not in stored


def test_the_wait_for_a_factor_is_shared_and_expires(db: Db) -> None:
    now = utc_now()
    first, second = _vault(db, ttl=600), _vault(db, ttl=600)  # two replicas
    assert not second.awaiting("c-9", now=now)
    first.expect("c-9", now=now)
    first.expect("c-9", now=now)  # asked again: still one wait
    assert second.awaiting("c-9", now=now + timedelta(seconds=599))
    assert not second.awaiting("c-9", now=now + timedelta(seconds=601))
    second.forget("c-9")
    assert not first.awaiting("c-9", now=now)
