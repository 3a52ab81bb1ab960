"""The Telegram bot: commands, text and button presses relayed to Rasa, answers sent back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ExtBot,
    JobQueue,
    MessageHandler,
    filters,
)

from connectors import messages
from connectors.conversations import telegram_conversation as conversation_id
from connectors.errors import BotUnavailable, MessageTooLong
from connectors.locks import KeyedLocks
from connectors.privacy import conversation_tag, redact, telegram_user_tag
from connectors.rasa_client import BotMessage, RasaClient
from connectors.telegram.format import CallbackPayloads, keyboard, message_text, split_message
from helpdesk.settings import Settings

logger = logging.getLogger(__name__)

Bot: TypeAlias = ExtBot[int]
Context: TypeAlias = CallbackContext[Bot, dict[Any, Any], dict[Any, Any], dict[Any, Any]]
TelegramApp: TypeAlias = Application[
    Bot, Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Context]
]

ALLOWED_UPDATES = ["message", "callback_query"]
CONCURRENT_UPDATES = 16  # different chats in parallel; one chat's updates stay in order


def change_language_payload(language: str) -> str:
    return '/change_language{"language":"' + language + '"}'


class TelegramChannel:
    """Handlers of the Telegram bot; relays through the gateway's :class:`RasaClient`.

    Args:
        rasa: The relay (shared with the web gateway when both run in one process).
        settings: For the hotline, the message limit and the log-hash key.
    """

    def __init__(self, rasa: RasaClient, settings: Settings) -> None:
        self.rasa = rasa
        self.settings = settings
        self.payloads = CallbackPayloads()
        self._chats = KeyedLocks()
        self._secret = settings.secret_key.get_secret_value()

    def install(self, application: TelegramApp) -> None:
        """Register the handlers on ``application``."""
        application.add_handler(CommandHandler("start", self.start))
        application.add_handler(CommandHandler("help", self.help))
        application.add_handler(CommandHandler("lang", self.lang))
        application.add_handler(CommandHandler("status", self.status))
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.text))
        application.add_error_handler(self.on_error)

    def unavailable(self) -> str:
        return messages.bot_unavailable(self.settings).both()

    async def start(self, update: Update, context: Context) -> None:
        """/start: what the assistant can do."""
        await self._say(update, context, messages.telegram_welcome(self.settings.hotline))

    async def help(self, update: Update, context: Context) -> None:
        """/help: how to ask, the commands, the hotline."""
        text = messages.telegram_help(self.settings)
        await self._say(update, context, text)

    async def lang(self, update: Update, context: Context) -> None:
        """/lang [vi|en]: switch the answers' language (toggles without an argument)."""
        chat_data = context.chat_data if context.chat_data is not None else {}
        wanted = (context.args or [""])[0].lower()
        if wanted not in {"vi", "en"}:
            wanted = "vi" if chat_data.get("language", "vi") == "en" else "en"
        chat_data["language"] = wanted
        await self._relay(update, context, [change_language_payload(wanted)])

    async def status(self, update: Update, context: Context) -> None:
        """/status <code>: start a record status lookup with the code already given."""
        code = " ".join(context.args or []).strip()
        await self._relay(update, context, ["/check_record_status", *([code] if code else [])])

    async def text(self, update: Update, context: Context) -> None:
        """Plain text: a question or an answer to the bot's question."""
        message = update.effective_message
        if message is None or not message.text:
            return
        limit = self.settings.max_message_chars
        if len(message.text) > limit:
            await self._say(update, context, messages.message_too_long(limit).both())
            return
        await self._relay(update, context, [message.text])

    async def button(self, update: Update, context: Context) -> None:
        """A press on an inline button: its payload goes to the bot like a message."""
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        payload = self.payloads.decode(query.data or "")
        if payload is None:
            await self._say(update, context, messages.button_expired().both())
            return
        await self._relay(update, context, [payload])

    async def _say(self, update: Update, context: Context, text: str) -> None:
        """Send our own text, in turn with the chat's other answers."""
        chat = update.effective_chat
        if chat is None:
            return
        async with self._chats.hold(conversation_id(chat.id)):
            await context.bot.send_message(chat.id, text)

    async def _relay(self, update: Update, context: Context, turns: list[str]) -> None:
        """Send ``turns`` to Rasa in order and show the answers to the last one."""
        chat = update.effective_chat
        if chat is None:
            return
        conversation = conversation_id(chat.id)
        user = update.effective_user
        source = telegram_user_tag(self._secret, user.id) if user is not None else None
        async with self._chats.hold(conversation):
            answers: list[BotMessage] = []
            try:
                for turn in turns:
                    answers = await self.rasa.send(
                        conversation, turn, source=source, channel="telegram"
                    )
            except MessageTooLong as exc:
                await context.bot.send_message(chat.id, messages.message_too_long(exc.limit).both())
                return
            except BotUnavailable:
                await context.bot.send_message(chat.id, self.unavailable())
                return
            for answer in answers:
                await self._send(context.bot, chat.id, answer)

    async def _send(self, bot: Bot, chat_id: int, message: BotMessage) -> None:
        """One bot message, split at 4096 units; its buttons go under the last part."""
        parts = split_message(message_text(message, messages.telegram_choose()))
        markup = keyboard(message, self.payloads)
        for number, part in enumerate(parts, start=1):
            await bot.send_message(
                chat_id, part, reply_markup=markup if number == len(parts) else None
            )

    async def on_error(self, update: object, context: Context) -> None:
        """Log the failure (never the text) and tell the citizen politely."""
        error = context.error
        chat = update.effective_chat if isinstance(update, Update) else None
        tag = conversation_tag(self._secret, conversation_id(chat.id)) if chat else "-"
        if isinstance(error, TelegramError):
            # Its message can carry the token (InvalidToken), never the citizen's text.
            logger.error(
                "telegram update failed: conversation=%s error=%s: %s",
                tag,
                type(error).__name__,
                redact(str(error), self.settings.telegram_token),
            )
        else:
            logger.error(
                "telegram update failed: conversation=%s error=%s",
                tag,
                type(error).__name__,
                exc_info=error,
            )
        if chat is None:
            return
        try:
            await context.bot.send_message(chat.id, self.unavailable())
        except TelegramError as exc:
            logger.warning("could not send the apology: %s", type(exc).__name__)


def _quiet_library_logs() -> None:
    """Keep the token and citizens' messages out of the logs, whatever the root level.

    httpx logs every request URL at INFO (Bot API URLs contain the token); PTB logs whole
    updates, message text included, at DEBUG.
    """
    for name, floor in (("httpx", logging.WARNING), ("telegram", logging.INFO)):
        library = logging.getLogger(name)
        library.setLevel(max(floor, library.level))


def build_application(
    settings: Settings,
    channel: TelegramChannel,
    *,
    webhook: bool,
    on_shutdown: Callable[[TelegramApp], Coroutine[Any, Any, None]] | None = None,
) -> TelegramApp:
    """A PTB application for ``settings.telegram_token`` with the channel's handlers.

    ``AIORateLimiter`` keeps within Telegram's limits (30 messages/s, 1/s per chat) and, on a
    ``RetryAfter`` (429), waits the time Telegram asks for and retries once.

    Args:
        settings: Token, Bot API base URL.
        channel: The handlers.
        webhook: True inside the gateway (updates arrive through ``/telegram/webhook``);
            False for long polling.
        on_shutdown: Awaited after the application shuts down (closing its own clients).
    """
    if settings.telegram_token is None:
        raise ValueError("HELPDESK_TELEGRAM_TOKEN is not set")
    _quiet_library_logs()
    builder = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .rate_limiter(AIORateLimiter(max_retries=1))
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if webhook:
        builder = builder.updater(None)
    if on_shutdown is not None:
        builder = builder.post_shutdown(on_shutdown)
    application: TelegramApp = builder.build()  # type: ignore[assignment]
    channel.install(application)
    return application
