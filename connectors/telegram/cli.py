"""``helpdesk telegram poll|set-webhook``: run the bot by polling, or register the webhook."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Annotated

import typer

from connectors.privacy import redact
from helpdesk.settings import Settings, get_settings

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts

telegram_app = typer.Typer(
    help="Run the Telegram bot (polling) or register its webhook.", no_args_is_help=True
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _token(settings: Settings) -> str:
    if settings.telegram_token is None:
        raise _fail("HELPDESK_TELEGRAM_TOKEN is not set (the token from @BotFather).")
    return settings.telegram_token.get_secret_value()


def webhook_url(settings: Settings) -> str:
    """Where Telegram should post updates: ``{public_url}/telegram/webhook``."""
    return settings.public_url.rstrip("/") + WEBHOOK_PATH


@telegram_app.command("poll")
def poll_command() -> None:
    """Run the bot with long polling (no public HTTPS address needed). Ctrl-C stops it."""
    import httpx
    from telegram.error import TelegramError

    from connectors.guard import guard_for
    from connectors.handoff.relay import HandoffRelay
    from connectors.telegram.channel import (
        ALLOWED_UPDATES,
        TelegramApp,
        TelegramChannel,
        build_application,
    )

    settings = get_settings()
    _token(settings)
    from store.analytics import TurnRecorder
    from store.db import make_engine, make_session_factory

    http = httpx.AsyncClient()
    engine = make_engine(settings.database_url)
    recorder = TurnRecorder(make_session_factory(engine), settings.secret_key.get_secret_value())
    recorder.start()
    # a handed-off chat's messages go to the staff inbox too (connectors/handoff/relay.py)
    rasa = (
        HandoffRelay.from_settings(http, settings, guard_for(settings, engine))
        .with_inbox(make_session_factory(engine))
        .with_recorder(recorder)  # every turn to the analytics (store/analytics.py)
    )

    async def close_http(_application: TelegramApp) -> None:
        await http.aclose()
        recorder.close()
        engine.dispose()

    channel = TelegramChannel(rasa, settings)
    application = build_application(settings, channel, webhook=False, on_shutdown=close_http)
    typer.echo(f"Telegram bot polling; relaying to {settings.rasa_url}. Ctrl-C stops it.")
    try:
        # run_polling removes a registered webhook first (Telegram allows one or the other).
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except TelegramError as exc:
        raise _fail(f"Telegram refused: {redact(str(exc), settings.telegram_token)}") from None


async def register_webhook(settings: Settings, drop_pending: bool = False) -> str:
    """Register :func:`webhook_url` with the secret token; return the URL registered."""
    from telegram import Bot

    from connectors.telegram.channel import ALLOWED_UPDATES

    token = _token(settings)
    secret = settings.telegram_webhook_secret
    if secret is None or not _SECRET_TOKEN.match(secret.get_secret_value()):
        raise _fail(
            "HELPDESK_TELEGRAM_WEBHOOK_SECRET must be set: 1–256 characters of A–Z, a–z, 0–9, "
            "_ and - (for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    url = webhook_url(settings)
    async with Bot(token, base_url=settings.telegram_base_url) as bot:
        await bot.set_webhook(
            url=url,
            secret_token=secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending,
        )
    return url


@telegram_app.command("set-webhook")
def set_webhook_command(
    drop_pending: Annotated[
        bool, typer.Option(help="Discard updates Telegram queued while no one listened")
    ] = False,
) -> None:
    """Register {public_url}/telegram/webhook with Telegram, with the webhook secret."""
    from telegram.error import TelegramError

    settings = get_settings()
    if not settings.public_url.startswith("https://"):
        typer.echo(
            f"warning: Telegram only delivers to https:// addresses; public_url is "
            f"{settings.public_url}",
            err=True,
        )
    try:
        url = asyncio.run(register_webhook(settings, drop_pending))
    except TelegramError as exc:
        reason = redact(str(exc), settings.telegram_token)
        raise _fail(f"Telegram refused the webhook: {reason}") from None
    typer.echo(f"webhook registered: {url}")
    if settings.telegram_mode != "webhook":
        typer.echo("note: set HELPDESK_TELEGRAM_MODE=webhook so the gateway serves it.", err=True)
