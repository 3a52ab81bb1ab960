"""The Zalo channel as the gateway runs it (built in the app's lifespan when configured).

An event is answered at once (Zalo does not wait for the bot) and handled in the background:
text and button presses go to Rasa and its answers back as consultation messages; a new
follower gets the welcome; a follower who leaves is only logged. Each event is taken once
across replicas (:meth:`ChannelLedger.first_delivery`), and one user's events are handled in
the order they arrived.

The reply window: Zalo lets an OA answer a user for free up to 8 times within 48 hours of the
user's last message, the quota starting again with each new message (Zalo OA help centre,
"Các loại tin của Zalo Official Account", zalooa.freshdesk.com article 64000261136); later
messages count against the OA's paid quota, and after 7 days without an interaction the
consultation API refuses them (error -230). The channel sends only within
:data:`REPLY_WINDOW` of the user's last message (or follow), and sends nothing after it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine

from connectors import messages
from connectors.conversations import zalo_conversation
from connectors.errors import BotUnavailable, MessageTooLong
from connectors.locks import KeyedLocks
from connectors.messages import Notice
from connectors.privacy import conversation_tag
from connectors.rasa_client import BotMessage, Button, RasaClient
from connectors.zalo.api import ZaloApi, ZaloTokens
from connectors.zalo.events import FOLLOW, HANDLED, TEXT, UNFOLLOW, ZaloEvent
from connectors.zalo.format import (
    ButtonPayloads,
    consultation_messages,
    split_text,
    typed_text,
    with_buttons,
)
from helpdesk.errors import StoreUnavailable
from helpdesk.settings import Settings
from store.channels import ChannelLedger, TokenStore
from store.db import make_session_factory
from store.hashing import log_hash
from store.status import utc_now

logger = logging.getLogger(__name__)

PLATFORM = "zalo"
WEBHOOK_PATH = "/zalo/webhook"
REPLY_WINDOW = timedelta(hours=48)
FREE_REPLIES = 8
SHUTDOWN_GRACE_SECONDS = 10.0


def change_language_payload(language: str) -> str:
    return '/change_language{"language":"' + language + '"}'


def zalo_user_tag(secret: str, user_id: str) -> str:
    """A short keyed hash of a Zalo user id: who asks, for Rasa and the logs."""
    return log_hash(secret, f"zalo-user:{user_id}")


class ZaloChannel:
    """Takes Zalo events in and answers through the OA's message API.

    Args:
        settings: The hotline, the log-hash key.
        rasa: The relay shared with the rest of the gateway.
        ledger: Events already taken, users' last messages.
        api: Consultation messages out.
        clock: The current time (UTC), for the reply window.
    """

    def __init__(
        self,
        settings: Settings,
        rasa: RasaClient,
        ledger: ChannelLedger,
        api: ZaloApi,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.rasa = rasa
        self.ledger = ledger
        self.api = api
        self.clock = clock
        self._secret = settings.secret_key.get_secret_value()
        self.payloads = ButtonPayloads(self._secret)
        self._conversations = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()

    def _tag(self, user_id: str) -> str:
        return conversation_tag(self._secret, zalo_conversation(user_id))

    async def receive(self, event: ZaloEvent, body: bytes) -> bool:
        """Take one verified event; whether it is new and will be acted on.

        The event id is its message id, else a hash of the body (a follow has no id). The
        work is done in a background task; this returns once the event is recorded.

        Raises:
            StoreUnavailable: The database cannot be reached (Zalo gets a 503).
        """
        if event.kind not in HANDLED or event.user_id is None:
            logger.info("zalo: event %s ignored", event.kind[:40])
            return False
        if event.message_id is not None:
            event_id = "msg:" + event.message_id
        else:
            event_id = "body:" + hashlib.sha256(body).hexdigest()
        if not await asyncio.to_thread(self.ledger.first_delivery, PLATFORM, event_id):
            logger.info("zalo: %s delivered again, already taken", event.kind)
            return False
        if event.kind == UNFOLLOW:
            logger.info("zalo: a follower left: conversation=%s", self._tag(event.user_id))
            return True
        await asyncio.to_thread(self.ledger.saw_user, PLATFORM, event.user_id, event.at)
        task = asyncio.create_task(self._handle(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _handle(self, event: ZaloEvent) -> None:
        assert event.user_id is not None
        user_id = event.user_id
        tag = self._tag(user_id)
        try:
            async with self._conversations.hold(zalo_conversation(user_id)):
                if event.kind == FOLLOW:
                    await self._welcome(user_id, tag)
                elif event.kind == TEXT:
                    await self._relay(user_id, event.text or "", tag)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.error(
                "zalo event failed: conversation=%s error=%s",
                tag,
                type(exc).__name__,
                exc_info=exc,
            )
            try:
                await self._deliver(user_id, tag, [with_buttons(self.unavailable(), [])])
            except Exception as again:  # the store or Zalo is down too: only log it
                logger.warning("zalo: could not send the apology: %s", type(again).__name__)

    def unavailable(self) -> str:
        return messages.bot_unavailable(self.settings).both()

    async def _welcome(self, user_id: str, tag: str) -> None:
        """A new follower: what the assistant does, Vietnamese then English, and a button
        to switch to English."""
        welcome = BotMessage(
            text=Notice.of("zalo.welcome", hotline=self.settings.hotline).both("\n\n"),
            buttons=[
                Button(
                    title=Notice.of("zalo.button.english").vi,
                    payload=change_language_payload("en"),
                )
            ],
        )
        await self._deliver(user_id, tag, self._outgoing(user_id, [welcome]))

    async def _say(self, user_id: str, tag: str, text: str) -> None:
        await self._deliver(user_id, tag, [with_buttons(part, []) for part in split_text(text)])

    async def _relay(self, user_id: str, text: str, tag: str) -> None:
        """A message or a button press to Rasa; its answers back to the user."""
        pressed = self.payloads.decode(user_id, text)
        if pressed is not None and pressed.payload is None:
            logger.info("zalo: a button that is no longer valid: conversation=%s", tag)
            await self._say(user_id, tag, messages.button_expired().both())
            return
        turn = pressed.payload if pressed is not None else typed_text(text)
        if not turn:
            return
        conversation = zalo_conversation(user_id)
        source = zalo_user_tag(self._secret, user_id)
        try:
            answers = await self.rasa.send(conversation, turn, source=source, channel=PLATFORM)
        except MessageTooLong as exc:
            await self._say(user_id, tag, messages.message_too_long(exc.limit).both())
            return
        except BotUnavailable:
            await self._say(user_id, tag, self.unavailable())
            return
        await self._deliver(user_id, tag, self._outgoing(user_id, answers))

    def _outgoing(self, user_id: str, answers: list[BotMessage]) -> list[dict[str, Any]]:
        choose = Notice.of("zalo.choose").both(" / ")
        return [
            message
            for answer in answers
            for message in consultation_messages(answer, user_id, self.payloads, choose)
        ]

    async def _deliver(self, user_id: str, tag: str, outgoing: list[dict[str, Any]]) -> None:
        """Send ``outgoing`` in order if the user wrote within the reply window, else nothing."""
        if not outgoing:
            return
        last = await asyncio.to_thread(self.ledger.last_inbound, PLATFORM, user_id)
        if last is None or self.clock() - last > REPLY_WINDOW:
            logger.warning(
                "zalo: %d message(s) not sent, outside the reply window: conversation=%s",
                len(outgoing),
                tag,
            )
            return
        if len(outgoing) > FREE_REPLIES:
            logger.info(
                "zalo: %d messages for one turn, more than Zalo's %d free replies: conversation=%s",
                len(outgoing),
                FREE_REPLIES,
                tag,
            )
        for message in outgoing:
            if not await self.api.send(user_id, message, tag):
                return  # the rest would read out of context without it

    async def send_staff_reply(self, user_id: str, text: str) -> None:
        """A staff member's message (live handoff), sent in turn with the user's other
        answers and only inside Zalo's reply window (nothing is sent outside it)."""
        async with self._conversations.hold(zalo_conversation(user_id)):
            await self._say(user_id, self._tag(user_id), text)

    async def aclose(self) -> None:
        """Let the events under way finish (a few seconds at most), then stop them."""
        pending = set(self._tasks)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)
            logger.warning("zalo: %d event(s) cut short by the shutdown", len(late))


async def start_zalo(
    settings: Settings, rasa: RasaClient, engine: Engine, http: httpx.AsyncClient, **_: Any
) -> ZaloChannel | None:
    """The channel when Zalo is configured (app id, OA secret, tokens), else None."""
    if not settings.zalo_app_id or settings.zalo_oa_secret is None:
        return None
    secret = settings.secret_key.get_secret_value()
    sessions = make_session_factory(engine)
    tokens = ZaloTokens(TokenStore(sessions, secret, PLATFORM), settings)
    try:
        stored = await asyncio.to_thread(tokens.seed)
    except StoreUnavailable:
        logger.error("zalo: disabled, the record store cannot be reached")
        return None
    if not stored:
        logger.error("zalo: disabled, no access token (HELPDESK_ZALO_ACCESS_TOKEN)")
        return None
    channel = ZaloChannel(
        settings, rasa, ChannelLedger(sessions, secret), ZaloApi(http, settings, tokens)
    )
    logger.info("zalo: events on %s", WEBHOOK_PATH)
    return channel
