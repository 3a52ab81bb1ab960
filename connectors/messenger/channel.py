"""The Messenger channel as the gateway runs it (built in the app's lifespan when configured).

The webhook answers Graph at once; each event is then handled in a background task:

1. taken exactly once, whichever replica a (re)delivery reaches (``ChannelLedger``, on the
   event's ``mid``), and in arrival order within its conversation (``KeyedLocks``);
2. the user's last message time is recorded for every replica (``ChannelLedger.saw_user``);
3. a typing indicator, the Rasa round trip in conversation ``fb-<PSID>``, the answers through
   the Send API (:mod:`connectors.messenger.format`).

The standard messaging window: a page may answer a user for 24 hours after the user's last
message ("For most user actions, it lasts 24 hours",
https://developers.facebook.com/documentation/business-messaging/messenger-platform/policy/).
A reply that would leave later is not sent, and logged. Staff may answer for 7 days with
``messaging_type`` ``MESSAGE_TAG`` and ``tag`` ``HUMAN_AGENT``, which lets a person (never an
automated message) answer within 7 days of the user's last message (Meta's
https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags, as quoted
by https://docs.bird.com/api/channels-api/supported-channels/programmable-messenger and
https://chatwoot.help/hc/user-guide/articles/1745225158-what-is-human-agent-tag-in-instagram-messenger-channel.md;
the app needs the Human Agent permission from App Review):
:meth:`MessengerChannel.send_staff_reply`.

Logs hold keyed hashes of conversations, never a PSID, a message or a token.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy import Engine

from connectors import messages
from connectors.conversations import messenger_conversation
from connectors.errors import BotUnavailable, MessageTooLong
from connectors.locks import KeyedLocks
from connectors.messenger.events import Inbound, Kind
from connectors.messenger.format import PayloadCodec, SendMessage, outgoing, split_text, typed_text
from connectors.messenger.graph import GraphClient, GraphError, InvalidToken, OutsideWindow
from connectors.privacy import conversation_tag
from connectors.rasa_client import BotMessage, RasaClient
from helpdesk.errors import StoreUnavailable
from helpdesk.settings import Settings
from store.channels import ChannelLedger
from store.db import make_session_factory
from store.hashing import log_hash
from store.status import utc_now

logger = logging.getLogger(__name__)

PLATFORM = "messenger"
MESSAGES_PATH = "me/messages"
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
CLOSE_GRACE_SECONDS = 10.0
REQUIRED = {
    "messenger_page_token": "HELPDESK_MESSENGER_PAGE_TOKEN",
    "messenger_app_secret": "HELPDESK_MESSENGER_APP_SECRET",
    "messenger_verify_token": "HELPDESK_MESSENGER_VERIFY_TOKEN",
}


def messenger_user_tag(secret: str, psid: str) -> str:
    """A short keyed hash of a PSID: who asks (Rasa's ``source``), never the id itself."""
    return log_hash(secret, f"messenger-user:{psid}")


class Delivery(StrEnum):
    """What became of a message to a user."""

    SENT = "sent"
    OUTSIDE_WINDOW = "outside_window"  # too long since the user wrote; nothing was sent
    FAILED = "failed"  # Graph refused or could not be reached (logged)


class MessengerChannel:
    """Takes the fanpage's webhook events in and answers through the Send API.

    Args:
        settings: The message cap, the hotline, the log-hash key.
        rasa: The relay (shared with the other channels).
        graph: The Graph API client with the page token.
        ledger: Events taken and users' last messages, shared by every replica.
        clock: The current time (UTC).
    """

    def __init__(
        self,
        settings: Settings,
        rasa: RasaClient,
        graph: GraphClient,
        ledger: ChannelLedger,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.rasa = rasa
        self.graph = graph
        self.ledger = ledger
        self._clock = clock
        self._secret = settings.secret_key.get_secret_value()
        self.payloads = PayloadCodec(self._secret)
        self._conversations = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- inbound -------------------------------------------------------------------------

    def accept(self, events: list[Inbound]) -> None:
        """Handle ``events`` in the background, in order within each conversation.

        Each task takes its conversation's lock before its first pause, and tasks start in
        the order they are created, so one conversation's events reach Rasa in order.
        """
        for event in events:
            try:
                messenger_conversation(event.psid)
            except ValueError:
                logger.warning("messenger: an event from a malformed sender id was left")
                continue
            task = asyncio.create_task(self._handle(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, event: Inbound) -> None:
        conversation = messenger_conversation(event.psid)
        tag = conversation_tag(self._secret, conversation)
        async with self._conversations.hold(conversation):
            try:
                if not await self._first_delivery(event, tag):
                    return
                since = await self._last_inbound(event)
                await self._answer(event, since, conversation, tag)
            except Exception as error:
                logger.error(
                    "messenger event failed: conversation=%s error=%s",
                    tag,
                    type(error).__name__,
                    exc_info=error,
                )
                notice = messages.bot_unavailable(self.settings).both()
                await self._send_texts(event.psid, event.at, tag, [notice])

    async def _first_delivery(self, event: Inbound, tag: str) -> bool:
        try:
            first = await asyncio.to_thread(self.ledger.first_delivery, PLATFORM, event.event_id)
        except StoreUnavailable:
            # better answered twice than not at all
            logger.warning("messenger: record store unavailable; event taken unchecked")
            return True
        if not first:
            logger.info("messenger: event already taken: conversation=%s", tag)
        return first

    async def _last_inbound(self, event: Inbound) -> datetime:
        """Record that the user wrote at ``event.at``; when the user last wrote, as every
        replica knows it (this event's own time if the record store is unavailable)."""
        try:
            await asyncio.to_thread(self.ledger.saw_user, PLATFORM, event.psid, event.at)
            last = await asyncio.to_thread(self.ledger.last_inbound, PLATFORM, event.psid)
        except StoreUnavailable:
            logger.warning("messenger: record store unavailable; last message time not kept")
            return event.at
        return max(last, event.at) if last is not None else event.at

    def _within(self, since: datetime, window: timedelta) -> bool:
        return self._clock() - since <= window

    async def _answer(self, event: Inbound, since: datetime, conversation: str, tag: str) -> None:
        """Relay ``event`` to Rasa and send the answers, while the window opened ``since``
        (the user's last message) lasts."""
        if not self._within(since, STANDARD_WINDOW):
            logger.warning(
                "messenger: reply not sent, outside the 24-hour window: conversation=%s", tag
            )
            return
        if event.kind is Kind.TEXT:
            turn = typed_text(event.content)
            if not turn:
                return
            limit = self.settings.max_message_chars
            if len(turn) > limit:
                notice = messages.message_too_long(limit).both()
                await self._send_texts(event.psid, since, tag, [notice])
                return
        else:
            payload = self.payloads.decode(event.content)
            if payload is None:
                logger.info("messenger: an unsigned or stale payload: conversation=%s", tag)
                await self._send_texts(event.psid, since, tag, [messages.button_expired().both()])
                return
            turn = payload
        await self._typing(event.psid, tag)
        source = messenger_user_tag(self._secret, event.psid)
        try:
            answers = await self.rasa.send(conversation, turn, source=source, channel=PLATFORM)
        except MessageTooLong as exc:
            notice = messages.message_too_long(exc.limit).both()
            await self._send_texts(event.psid, since, tag, [notice])
            return
        except BotUnavailable:
            notice = messages.bot_unavailable(self.settings).both()
            await self._send_texts(event.psid, since, tag, [notice])
            return
        await self._send_all(event.psid, since, tag, self._render(answers))

    def _render(self, answers: list[BotMessage]) -> list[SendMessage]:
        fallback = messages.telegram_choose()
        return [part for answer in answers for part in outgoing(answer, self.payloads, fallback)]

    # --- outbound ------------------------------------------------------------------------

    async def _typing(self, psid: str, tag: str) -> None:
        """Show "typing…" while Rasa thinks; a failure only costs the indicator."""
        body = {"recipient": {"id": psid}, "sender_action": "typing_on"}
        try:
            await self.graph.post(MESSAGES_PATH, body, retries=0)
        except GraphError as exc:
            logger.info("messenger: no typing indicator (%s): conversation=%s", exc, tag)

    async def _send_texts(self, psid: str, since: datetime, tag: str, texts: list[str]) -> None:
        parts: list[SendMessage] = [{"text": part} for t in texts for part in split_text(t)]
        await self._send_all(psid, since, tag, parts)

    async def _send_all(
        self, psid: str, since: datetime, tag: str, parts: list[SendMessage]
    ) -> Delivery:
        """Send ``parts`` in order as ``RESPONSE``s, while the window opened ``since`` lasts."""
        for part in parts:
            if not self._within(since, STANDARD_WINDOW):
                logger.warning(
                    "messenger: reply not sent, outside the 24-hour window: conversation=%s", tag
                )
                return Delivery.OUTSIDE_WINDOW
            body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": part}
            delivery = await self._post(body, tag)
            if delivery is not Delivery.SENT:
                return delivery
        return Delivery.SENT

    async def _post(self, body: dict[str, Any], tag: str) -> Delivery:
        try:
            await self.graph.post(MESSAGES_PATH, body)
        except OutsideWindow:
            logger.warning("messenger: Graph says the window is closed: conversation=%s", tag)
            return Delivery.OUTSIDE_WINDOW
        except InvalidToken:
            return Delivery.FAILED  # logged by the client, naming the setting to renew
        except GraphError as exc:
            logger.error("messenger: message not delivered (%s): conversation=%s", exc, tag)
            return Delivery.FAILED
        return Delivery.SENT

    async def send_staff_reply(self, psid: str, text: str) -> Delivery:
        """A staff member's answer, sent with the ``HUMAN_AGENT`` tag (up to 7 days after the
        user's last message; nothing is sent later, or when the user never wrote).

        Raises:
            ValueError: ``psid`` is not a page-scoped id.
        """
        conversation = messenger_conversation(psid)
        tag = conversation_tag(self._secret, conversation)
        async with self._conversations.hold(conversation):
            try:
                last = await asyncio.to_thread(self.ledger.last_inbound, PLATFORM, psid)
            except StoreUnavailable:
                logger.error("messenger: record store unavailable; staff reply not sent")
                return Delivery.FAILED
            if last is None or not self._within(last, HUMAN_AGENT_WINDOW):
                logger.warning(
                    "messenger: staff reply not sent, outside the 7-day window: conversation=%s",
                    tag,
                )
                return Delivery.OUTSIDE_WINDOW
            for part in split_text(text):
                body = {
                    "recipient": {"id": psid},
                    "messaging_type": "MESSAGE_TAG",
                    "tag": "HUMAN_AGENT",
                    "message": {"text": part},
                }
                delivery = await self._post(body, tag)
                if delivery is not Delivery.SENT:
                    return delivery
            return Delivery.SENT

    async def aclose(self) -> None:
        """Let the events under way finish (for a while), then stop."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=CLOSE_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("messenger: %d event(s) cut short at shutdown", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)


def _quiet_library_logs() -> None:
    """httpx logs each request line at INFO; keep it to warnings, whatever the root level."""
    library = logging.getLogger("httpx")
    library.setLevel(max(logging.WARNING, library.level))


async def start_messenger(
    settings: Settings, rasa: RasaClient, engine: Engine, http: httpx.AsyncClient, **_: Any
) -> MessengerChannel | None:
    """The channel when Messenger is configured (page token, app secret, verify token)."""
    given = {name: getattr(settings, name) for name in REQUIRED}
    if not any(given.values()):
        return None
    missing = [REQUIRED[name] for name, value in given.items() if value is None]
    if missing:
        logger.error("messenger: disabled, %s not set", ", ".join(missing))
        return None
    _quiet_library_logs()
    token, app_secret = settings.messenger_page_token, settings.messenger_app_secret
    assert token is not None and app_secret is not None
    graph = GraphClient(
        http,
        settings.messenger_graph_base_url,
        settings.messenger_graph_version,
        token,
        app_secret,
    )
    ledger = ChannelLedger(make_session_factory(engine), settings.secret_key.get_secret_value())
    logger.info(
        "messenger: webhook /messenger/webhook, Graph API %s", settings.messenger_graph_version
    )
    return MessengerChannel(settings, rasa, graph, ledger)
