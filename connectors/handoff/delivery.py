"""Staff replies on their way to the citizen, in the channel the conversation came from.

The conversation id says the channel (``connectors/conversations.py``): ``web-…`` reads its
messages from the widget's stream (``GET /api/chat/stream``), which reads the store, so
nothing is sent from here; ``tg-<chat>`` gets a Telegram message (through the webhook
application's bot, or a bot of its own when Telegram runs by polling in another process);
``zl-<user>`` a Zalo consultation message (inside Zalo's reply window); ``fb-<psid>`` a
Messenger message with the ``HUMAN_AGENT`` tag (up to 7 days after the user wrote).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from connectors.conversations import (
    MESSENGER_PREFIX,
    TELEGRAM_PREFIX,
    WEB_PREFIX,
    ZALO_PREFIX,
)
from connectors.messenger.channel import Delivery
from connectors.privacy import conversation_tag, redact
from connectors.telegram.format import split_message
from helpdesk.settings import Settings

logger = logging.getLogger(__name__)


class TelegramSender(Protocol):
    async def send_message(self, chat_id: int, text: str) -> Any: ...


class StaffDelivery:
    """Sends a stored staff or system message to the citizen's channel.

    Args:
        settings: The Telegram token and Bot API address, the log-hash key.
        state: The app's state (``telegram``, ``zalo``, ``messenger`` channels, when running).
    """

    def __init__(self, settings: Settings, state: Any) -> None:
        self.settings = settings
        self.state = state
        self._own_bot: Any = None
        self._secret = settings.secret_key.get_secret_value()

    async def deliver(self, conversation_id: str, text: str) -> bool:
        """Whether the message left for the citizen (web: it waits in the store for the
        stream, always True)."""
        tag = conversation_tag(self._secret, conversation_id)
        try:
            if conversation_id.startswith(WEB_PREFIX):
                return True
            if conversation_id.startswith(TELEGRAM_PREFIX):
                return await self._telegram(int(conversation_id[len(TELEGRAM_PREFIX) :]), text)
            if conversation_id.startswith(ZALO_PREFIX):
                zalo = getattr(self.state, "zalo", None)
                if zalo is None:
                    return False
                await zalo.send_staff_reply(conversation_id[len(ZALO_PREFIX) :], text)
                return True
            if conversation_id.startswith(MESSENGER_PREFIX):
                messenger = getattr(self.state, "messenger", None)
                if messenger is None:
                    return False
                delivery = await messenger.send_staff_reply(
                    conversation_id[len(MESSENGER_PREFIX) :], text
                )
                return bool(delivery is Delivery.SENT)
        except Exception as exc:
            logger.error(
                "handoff: staff message not delivered: conversation=%s error=%s: %s",
                tag,
                type(exc).__name__,
                redact(str(exc), self.settings.telegram_token),
            )
            return False
        logger.error("handoff: no channel for conversation=%s", tag)
        return False

    async def _bot(self) -> TelegramSender | None:
        application = getattr(self.state, "telegram", None)
        if application is not None:
            bot: TelegramSender = application.bot
            return bot
        if self.settings.telegram_token is None:
            return None
        if self._own_bot is None:
            from telegram import Bot

            own = Bot(
                self.settings.telegram_token.get_secret_value(),
                base_url=self.settings.telegram_base_url,
            )
            await own.initialize()
            self._own_bot = own
        sender: TelegramSender = self._own_bot
        return sender

    async def _telegram(self, chat_id: int, text: str) -> bool:
        bot = await self._bot()
        if bot is None:
            return False
        for part in split_message(text):
            await bot.send_message(chat_id, part)
        return True

    async def aclose(self) -> None:
        if self._own_bot is not None:
            await self._own_bot.shutdown()
            self._own_bot = None
