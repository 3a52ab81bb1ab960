"""The HTTP gateway's factory.

Start with ``uvicorn --factory connectors.web.app:create_app --no-proxy-headers``: the app
applies ``X-Forwarded-For`` itself, from ``settings.trusted_proxies`` only (uvicorn's own
default would believe it from any client on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from connectors.guard import guard_for
from connectors.handoff.bot_pause import BotPause
from connectors.handoff.delivery import StaffDelivery
from connectors.handoff.desk import HandoffDesk
from connectors.handoff.relay import HandoffRelay
from connectors.messenger.channel import start_messenger
from connectors.rasa_client import RasaClient
from connectors.ratelimit import RateLimiter, make_rate_limiter
from connectors.telegram.channel import TelegramApp, TelegramChannel, build_application
from connectors.web.errors import install_error_handlers
from connectors.web.limits import BodyLimitMiddleware, body_limits
from connectors.web.routes import (
    chat,
    health,
    messenger,
    procedures,
    staff_analytics,
    staff_assets,
    staff_audit,
    staff_auth,
    staff_catalogue,
    staff_inbox,
    staff_lookup,
    staff_records,
    telegram,
    widget,
    zalo,
)
from connectors.zalo.channel import start_zalo
from helpdesk.settings import Settings, get_settings
from knowledge.service import Knowledge
from publishing.live import CatalogueWatcher, LiveKnowledge, open_live
from publishing.publisher import Publisher
from store.analytics import TurnRecorder
from store.catalogue_releases import SHIPPED, CatalogueReleases
from store.db import make_engine, make_session_factory

logger = logging.getLogger(__name__)

HTTP_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


async def _start_telegram(settings: Settings, rasa: RasaClient) -> TelegramApp | None:
    """The webhook-mode bot, started; None when not configured or the Bot API is unreachable."""
    if settings.telegram_token is None or settings.telegram_mode != "webhook":
        return None
    if settings.telegram_webhook_secret is None:
        logger.error("telegram: webhook mode needs HELPDESK_TELEGRAM_WEBHOOK_SECRET; disabled")
        return None
    from telegram.error import TelegramError

    application = build_application(settings, TelegramChannel(rasa, settings), webhook=True)
    try:
        await application.initialize()  # calls getMe: checks the token
        await application.start()
    except TelegramError as exc:
        logger.error(
            "telegram: disabled, the Bot API refused or is unreachable (%s)", type(exc).__name__
        )
        return None
    logger.info("telegram: webhook mode, bot @%s", application.bot.username)
    return application


def _swap_in(app: FastAPI, live: LiveKnowledge | None) -> None:
    """Answer from ``live`` from now on (requests under way keep the one they started with)."""
    app.state.live = live
    app.state.knowledge = live.knowledge if live is not None else None


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


def create_app(
    settings: Settings | None = None,
    knowledge: Knowledge | None = None,
    *,
    load_knowledge: bool = True,
    watch_catalogue: bool | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
    rate_limiter: RateLimiter | None = None,
) -> FastAPI:
    """Build the gateway. Heavy objects load in the lifespan unless passed in (tests).

    Args:
        settings: Defaults to the process settings.
        knowledge: The catalogue and index; loaded in the lifespan when None.
        load_knowledge: False leaves the procedure API unavailable (503) instead of loading
            the index: for a chat-only gateway and for tests.
        watch_catalogue: Follow catalogue publications (swap to each newly published
            release); by default when the app loads the catalogue itself.
        http_transport: Transport of the shared outbound client (tests: ``httpx.MockTransport``).
        rate_limiter: Defaults to Redis when ``settings.redis_url`` is set, else in memory.
            The app closes it on shutdown.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        async with AsyncExitStack() as stack:
            engine = make_engine(settings.database_url)
            stack.callback(engine.dispose)
            app.state.db_engine = engine
            releases = CatalogueReleases(make_session_factory(engine))
            app.state.publisher = Publisher(settings, releases)
            live = LiveKnowledge(knowledge, SHIPPED) if knowledge is not None else None
            if knowledge is None and load_knowledge:
                live = open_live(settings, releases)
            _swap_in(app, live)
            if live is not None:
                logger.info("catalogue loaded: %d procedures", len(live.knowledge.catalogue))
            follow = watch_catalogue if watch_catalogue is not None else knowledge is None
            if live is not None and follow and settings.catalogue_poll_seconds > 0:
                watcher = CatalogueWatcher(
                    settings,
                    releases,
                    lambda: app.state.live,
                    lambda new: _swap_in(app, new),
                    settings.catalogue_poll_seconds,
                )
                watcher.start()
                stack.callback(watcher.stop)
            http = httpx.AsyncClient(transport=http_transport, limits=HTTP_LIMITS)
            stack.push_async_callback(http.aclose)
            app.state.http = http
            recorder = TurnRecorder(
                make_session_factory(engine), settings.secret_key.get_secret_value()
            )
            recorder.start()
            stack.callback(recorder.close)  # after the channels stop: their last turns written
            app.state.turn_recorder = recorder
            relay = HandoffRelay.from_settings(http, settings, guard_for(settings, engine))
            assert isinstance(relay, HandoffRelay)
            # the relay also feeds the staff inbox while a conversation is handed off
            sessions = make_session_factory(engine)
            app.state.rasa = relay.with_recorder(recorder).with_inbox(sessions)
            delivery = StaffDelivery(settings, app.state)
            stack.push_async_callback(delivery.aclose)
            app.state.handoff = HandoffDesk(
                settings, sessions, BotPause.from_settings(http, settings), delivery
            )
            limiter = rate_limiter or make_rate_limiter(settings.redis_url)
            stack.push_async_callback(limiter.close)
            app.state.rate_limiter = limiter
            app.state.telegram = await _start_telegram(settings, app.state.rasa)
            if app.state.telegram is not None:
                stack.push_async_callback(app.state.telegram.shutdown)
                stack.push_async_callback(app.state.telegram.stop)
            app.state.zalo = await start_zalo(settings, app.state.rasa, engine, http)
            if app.state.zalo is not None:
                stack.push_async_callback(app.state.zalo.aclose)
            app.state.messenger = await start_messenger(settings, app.state.rasa, engine, http)
            if app.state.messenger is not None:
                stack.push_async_callback(app.state.messenger.aclose)
            if settings.handoff_redelivery_seconds > 0:
                # staff messages a stopped gateway left unsent (cancelled before the
                # channels stop)
                redelivery = asyncio.create_task(
                    app.state.handoff.redeliver_forever(settings.handoff_redelivery_seconds)
                )
                stack.push_async_callback(_cancel, redelivery)
            yield

    app = FastAPI(
        title="Citizen helpdesk",
        description="Procedures, application status and channels for commune service centers.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    # Added first, so it runs inside CORS: a 413 still carries the CORS headers.
    app.add_middleware(BodyLimitMiddleware, settings=settings, limit_for=body_limits(settings))
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    if settings.trusted_proxies:
        # Added last, so it runs first: everything after it sees the client the proxy names.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.include_router(health.router)
    app.include_router(procedures.router)
    app.include_router(chat.router)
    app.include_router(widget.router)
    app.include_router(telegram.router)
    app.include_router(zalo.router)
    app.include_router(messenger.router)
    app.include_router(staff_assets.router)
    app.include_router(staff_lookup.router)
    app.include_router(staff_auth.router)
    app.include_router(staff_records.router)
    app.include_router(staff_audit.router)
    app.include_router(staff_catalogue.router)
    app.include_router(staff_analytics.router)
    app.include_router(staff_inbox.router)
    return app
