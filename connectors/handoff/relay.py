"""The relay to Rasa with live handoff: a handed-off conversation's turns also go to the inbox.

Every channel sends through the gateway's :class:`HandoffRelay` (a :class:`RasaClient`):

* while a conversation is in the staff inbox (waiting or claimed), the citizen's messages are
  stored for staff (cleaned, ``store.handoff``) *and* still go to Rasa; a claimed
  conversation's bot is paused (``ConversationPaused`` on its tracker), so Rasa records the
  message and answers nothing, and the staff member answers instead;
* outside office hours, after the bot (``action_handoff``) offered to take the question, the
  next messages are the question, the yes/no on being contacted and, only after a yes, the
  contact: those turns are answered here and never reach Rasa (a phone number or e-mail
  given for staff has no place in the bot's tracker). A question left half-way expires
  after ``store.handoff.ASKING_EXPIRES``; a button of the bot pressed meanwhile goes to
  the bot as usual.

When the record store is unreachable the relay carries on as a plain relay.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from connectors.rasa_client import BotMessage, Button, RasaClient
from helpdesk.errors import StoreUnavailable
from helpdesk.messages import text as message_text
from store.handoff import (
    ASKING_EXPIRES,
    CONSENT_NO,
    CONSENT_YES,
    LiveView,
    active_live,
    answer_step,
    record_turn,
)
from store.status import utc_now

logger = logging.getLogger(__name__)

YES_WORDS = frozenset({"có", "co", "yes", "ok", "đồng ý", "dong y", "vâng", "vang", "ừ", "y"})


def consent_buttons(lang: str) -> list[Button]:
    """Yes / no on leaving a contact."""
    return [
        Button(title=message_text("handoff.button.consent_yes", lang), payload=CONSENT_YES),
        Button(title=message_text("handoff.button.consent_no", lang), payload=CONSENT_NO),
    ]


def _said(key: str, lang: str, buttons: list[Button] | None = None) -> list[BotMessage]:
    return [BotMessage(text=message_text(key, lang), buttons=buttons or [])]


class HandoffRelay(RasaClient):
    """:class:`RasaClient` that also feeds the staff inbox (see the module's docstring).

    Built like the plain relay (``HandoffRelay.from_settings(...)``) and given the record
    store with :meth:`with_inbox`; without it this is the plain relay.
    """

    inbox: sessionmaker[Session] | None = None

    @classmethod
    def from_settings(cls, *args: Any, **kwargs: Any) -> HandoffRelay:
        """:meth:`RasaClient.from_settings`, typed as this class."""
        relay = super().from_settings(*args, **kwargs)
        assert isinstance(relay, HandoffRelay)
        return relay

    def with_inbox(self, inbox: sessionmaker[Session]) -> HandoffRelay:
        self.inbox = inbox
        return self

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        source: str | None = None,
        channel: str | None = None,
    ) -> list[BotMessage]:
        live = await self.live(conversation_id)
        if live is not None and live.state == "asking":
            answered = await self._asking(live, text)
            if answered is not None:
                return answered
            live = None
        if live is not None and not text.startswith("/") and len(text) <= self._max_chars:
            await self._record(live, [("citizen", text)])
        answers = await super().send(conversation_id, text, source=source, channel=channel)
        if live is not None and live.state == "waiting":
            await self._record(live, [("bot", a.text) for a in answers if a.text])
        return answers

    async def live(self, conversation_id: str) -> LiveView | None:
        """The conversation's active handoff, or None (also when the store is down)."""
        if self.inbox is None:
            return None
        try:
            return await asyncio.to_thread(active_live, self.inbox, conversation_id)
        except StoreUnavailable:
            logger.error("handoff: the record store is unreachable; relaying without the inbox")
            return None

    async def _record(self, live: LiveView, messages: list[tuple[str, str]]) -> None:
        if self.inbox is None or not messages:
            return
        try:
            await asyncio.to_thread(record_turn, self.inbox, live.id, messages)
        except StoreUnavailable:
            logger.error("handoff: a turn could not be stored for the inbox")

    async def _step(self, live: LiveView, **values: Any) -> LiveView | None:
        assert self.inbox is not None
        try:
            return await asyncio.to_thread(answer_step, self.inbox, live.id, **values)
        except StoreUnavailable:
            logger.error("handoff: the question could not be stored")
            return None

    async def _asking(self, live: LiveView, text: str) -> list[BotMessage] | None:
        """Take one step of the question outside hours; None: the turn goes to the bot."""
        lang = live.language
        payload = text.startswith("/")
        ours = text in (CONSENT_YES, CONSENT_NO)
        if utc_now() - live.updated_at > ASKING_EXPIRES or (payload and live.step == "question"):
            await self._step(live, step=None, state="closed")
            return None
        if payload and not ours:
            # the citizen went on with the bot: the question (if any) stays for the staff
            await self._step(live, step=None, state="pending" if live.question else "closed")
            return None
        if live.step == "question":
            if await self._step(live, step="consent", question=text) is None:
                return None
            return _said("handoff.ask_consent", lang, consent_buttons(lang))
        if live.step == "consent":
            agreed = text == CONSENT_YES or (
                not payload and " ".join(text.lower().split()).strip(".!") in YES_WORDS
            )
            if agreed:
                await self._step(live, step="contact")
                return _said("handoff.ask_contact", lang)
            await self._step(live, step=None, state="pending")
            return _said("handoff.taken", lang)
        if live.step == "contact" and not payload:
            await self._step(live, step=None, state="pending", contact=text)
            return _said("handoff.taken_with_contact", lang)
        await self._step(live, step=None, state="pending")
        return _said("handoff.taken", lang)
