"""The Zalo Official Account webhook: events arrive here when the channel is configured."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from connectors.errors import (
    ChannelUnavailable,
    InvalidUpdate,
    WebhookForbidden,
    WebhookUnauthorized,
)
from connectors.web.deps import SettingsDep
from connectors.web.errors import error_responses
from connectors.web.strict_json import StrictJsonRoute, parse_json
from connectors.zalo.channel import WEBHOOK_PATH, ZaloChannel
from connectors.zalo.events import check_signature, parse_event

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"

router = APIRouter(tags=["zalo"], route_class=StrictJsonRoute)


def get_zalo(request: Request) -> ZaloChannel | None:
    """The Zalo channel, or None when it is not running in this gateway."""
    return getattr(request.app.state, "zalo", None)


ZaloDep = Annotated[ZaloChannel | None, Depends(get_zalo)]


@router.post(
    WEBHOOK_PATH,
    responses=error_responses(
        {
            400: "A signed body that is not a Zalo event",
            401: f"No {SIGNATURE_HEADER}",
            403: f"A wrong {SIGNATURE_HEADER}, or a timestamp too old or too far ahead",
            413: "Body over 1 MiB",
            503: "The Zalo channel is not running in this gateway, or the database is down",
        }
    ),
)
async def zalo_webhook(request: Request, settings: SettingsDep, zalo: ZaloDep) -> dict[str, bool]:
    """Receive one event from Zalo; answered at once, handled in the background.

    Zalo signs the event in ``X-ZEvent-Signature: mac=<sha256 hex>`` over the app id, the raw
    body, the event's ``timestamp`` and the OA's secret key.
    """
    header = request.headers.get(SIGNATURE_HEADER)
    if not header:
        logger.warning("zalo webhook: refused a call without a signature")
        raise WebhookUnauthorized(f"missing {SIGNATURE_HEADER}")
    body = await request.body()
    try:
        data = parse_json(body)
    except ValueError:
        data = None  # nothing to read the timestamp from: the signature cannot be checked
    oa_secret = settings.zalo_oa_secret
    try:
        check_signature(
            header,
            body,
            data,
            app_id=settings.zalo_app_id,
            oa_secret=oa_secret.get_secret_value() if oa_secret is not None else None,
            max_age_seconds=settings.zalo_signature_max_age_seconds,
            now_ms=int(time.time() * 1000),
        )
    except WebhookForbidden as exc:
        logger.warning("zalo webhook: refused a call: %s", exc)
        raise
    if zalo is None:
        raise ChannelUnavailable("the Zalo channel is not running in this gateway")
    try:
        event = parse_event(data)
    except ValueError as exc:
        logger.warning("zalo webhook: not an event (%s)", exc)
        raise InvalidUpdate("the body is not a Zalo event") from None
    await zalo.receive(event, body)
    return {"ok": True}
