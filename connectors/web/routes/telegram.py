"""Telegram's webhook: updates arrive here when ``telegram_mode`` is ``webhook``."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Header, Request
from telegram import Update

from connectors.errors import InvalidUpdate, TelegramUnavailable, WebhookForbidden
from connectors.telegram.cli import WEBHOOK_PATH
from connectors.web.deps import SettingsDep, TelegramDep

logger = logging.getLogger(__name__)

router = APIRouter(tags=["telegram"])


def _secret_matches(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@router.post(WEBHOOK_PATH)
async def telegram_webhook(
    request: Request,
    settings: SettingsDep,
    telegram: TelegramDep,
    secret_token: Annotated[
        str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token", include_in_schema=False)
    ] = None,
) -> dict[str, bool]:
    """Receive one update from Telegram; answered at once, processed in the background."""
    expected = settings.telegram_webhook_secret
    if not _secret_matches(secret_token, expected.get_secret_value() if expected else None):
        logger.warning("telegram webhook: refused a call without the right secret token")
        raise WebhookForbidden("missing or wrong X-Telegram-Bot-Api-Secret-Token")
    if telegram is None:
        raise TelegramUnavailable("the Telegram channel is not running in this gateway")
    try:
        data = json.loads(await request.body())
        update = Update.de_json(data, telegram.bot)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        logger.warning("telegram webhook: not an update (%s)", type(exc).__name__)
        raise InvalidUpdate("the body is not a Telegram update") from None
    # Telegram waits for our answer before sending the chat's next update; queue and answer.
    await telegram.update_queue.put(update)
    return {"ok": True}
