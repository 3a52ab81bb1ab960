"""Telegram's webhook: updates arrive here when ``telegram_mode`` is ``webhook``."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from telegram import Update

from connectors.errors import InvalidUpdate, TelegramUnavailable, WebhookForbidden
from connectors.telegram.cli import WEBHOOK_PATH
from connectors.web.deps import SettingsDep, TelegramDep
from connectors.web.errors import error_responses
from connectors.web.strict_json import StrictJsonRoute, parse_json

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

router = APIRouter(tags=["telegram"], route_class=StrictJsonRoute)


def _secret_matches(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@router.post(
    WEBHOOK_PATH,
    responses=error_responses(
        {
            400: "The body is not a Telegram update (or not strict JSON)",
            403: f"Missing or wrong {SECRET_HEADER}",
            413: "Body over 1 MiB",
            503: "The Telegram channel is not running in this gateway",
        }
    ),
)
async def telegram_webhook(
    request: Request, settings: SettingsDep, telegram: TelegramDep
) -> dict[str, bool]:
    """Receive one update from Telegram; answered at once, processed in the background.

    Telegram sends the webhook's secret in the ``X-Telegram-Bot-Api-Secret-Token`` header.
    """
    expected = settings.telegram_webhook_secret
    secret_token = request.headers.get(SECRET_HEADER)
    if not _secret_matches(secret_token, expected.get_secret_value() if expected else None):
        logger.warning("telegram webhook: refused a call without the right secret token")
        raise WebhookForbidden("missing or wrong X-Telegram-Bot-Api-Secret-Token")
    if telegram is None:
        raise TelegramUnavailable("the Telegram channel is not running in this gateway")
    try:
        data = parse_json(await request.body())
        if not isinstance(data, dict):
            raise TypeError(type(data).__name__)
        update = Update.de_json(data, telegram.bot)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        logger.warning("telegram webhook: not an update (%s)", type(exc).__name__)
        raise InvalidUpdate("the body is not a Telegram update") from None
    # Telegram waits for our answer before sending the chat's next update; queue and answer.
    await telegram.update_queue.put(update)
    return {"ok": True}
