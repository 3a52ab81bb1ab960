"""What every channel's messages go through before Rasa sees them, and after it answers.

Rasa Open Source keeps every message in its tracker store and has no redaction of its own, so
nothing personal may reach it:

- While the bot waits for a second factor (its last answer carried ``{"expect":
  "verification"}``), the digits are taken out of the reply and Rasa receives
  ``/give_verification{"verification_token": "ft_…"}``: a one-time token only the action
  server redeems (:mod:`store.factors`). Near-misses ("12345") are masked, never passed on.
- In every other message, phone and ID numbers become ``***`` (and digits written beside a
  record code, which can only be its factor).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import Engine

from helpdesk.errors import StoreUnavailable
from helpdesk.settings import Settings
from store.db import make_session_factory, migrate
from store.factors import FactorVault
from store.personal import mask_all_numbers, read_factor, redact_message

logger = logging.getLogger(__name__)

EXPECT_KEY = "expect"
EXPECT_FACTOR = "verification"
FACTOR_INTENT = "/give_verification"
TOKEN_ENTITY = "verification_token"


def factor_payload(token: str) -> str:
    """The message Rasa receives in place of a second factor."""
    return FACTOR_INTENT + json.dumps({TOKEN_ENTITY: token}, separators=(",", ":"))


def asks_for_factor(raw: list[Any]) -> bool:
    """Does the bot's answer (Rasa's raw messages) ask for a second factor?"""
    for item in raw:
        custom = item.get("custom") if isinstance(item, dict) else None
        if isinstance(custom, dict) and custom.get(EXPECT_KEY) == EXPECT_FACTOR:
            return True
    return False


class ConversationGuard:
    """Redacts inbound messages and follows whether the bot waits for a factor.

    Args:
        vault: Tokens and the per-conversation "awaiting a factor" flag, in the database
            every replica shares.
    """

    def __init__(self, vault: FactorVault) -> None:
        self._vault = vault
        # conversations whose message now being relayed arrived while a factor was awaited:
        # only they pay a write when the wait ends; an entry lives for one relay
        self._awaiting: set[str] = set()

    async def inbound(self, conversation_id: str, text: str) -> str:
        try:
            awaiting = await asyncio.to_thread(self._vault.awaiting, conversation_id)
        except StoreUnavailable:
            # cannot tell whether a factor is awaited: hide anything that could be one (the
            # lookup itself needs the database too, so nothing is lost)
            logger.warning("factor store unavailable: numbers of 4+ digits masked")
            return mask_all_numbers(redact_message(text), min_digits=4)
        if awaiting:
            self._awaiting.add(conversation_id)
        else:
            self._awaiting.discard(conversation_id)
        if not awaiting or text.startswith("/"):
            # a button's payload is never a factor, but a typed one may carry a number
            return redact_message(text)
        reading = read_factor(text)
        if reading.digits is None:
            return reading.text
        try:
            token = await asyncio.to_thread(self._vault.issue, conversation_id, reading.digits)
        except StoreUnavailable:
            logger.warning("factor store unavailable: the factor was masked")
            return reading.text
        return factor_payload(token)

    async def outbound(self, conversation_id: str, raw: list[Any]) -> None:
        was_awaiting = conversation_id in self._awaiting
        self._awaiting.discard(conversation_id)
        try:
            if asks_for_factor(raw):
                await asyncio.to_thread(self._vault.expect, conversation_id)
            elif was_awaiting:
                await asyncio.to_thread(self._vault.forget, conversation_id)
        except StoreUnavailable:
            logger.warning("factor store unavailable: the wait for a factor was not recorded")


def guard_for(settings: Settings, engine: Engine) -> ConversationGuard:
    """The guard of an install: its vault on the shared database (migrated if needed).

    A database that is down at start-up does not stop the gateway: until it is back the
    guard hides every number that could be a factor (see :meth:`ConversationGuard.inbound`).
    """
    try:
        migrate(engine)
    except StoreUnavailable:
        logger.warning("factor store unavailable at start-up; numbers will be masked")
    secret = settings.secret_key.get_secret_value()
    return ConversationGuard(FactorVault(make_session_factory(engine), secret))
