"""``helpdesk messenger setup``: the fanpage's Get Started button, greeting and persistent menu.

Posted to ``{graph}/{version}/me/messenger_profile`` with the page token (Messenger Profile
API). The menu is in Vietnamese (``default`` locale) and English (``en_US``): ask about a
procedure, check an application, find the service center, talk to staff, and switch the
language. Its payloads are the bot's own intents, signed like every button's
(:class:`~connectors.messenger.format.PayloadCodec`): run the command again after changing
``HELPDESK_SECRET_KEY``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from connectors.messenger.format import PayloadCodec
from helpdesk.messages import text
from helpdesk.settings import Settings, get_settings

PROFILE_PATH = "me/messenger_profile"
WEBHOOK_PATH = "/messenger/webhook"
GET_STARTED_PAYLOAD = "/greet"
LOCALES = {"vi": "default", "en": "en_US"}
MENU: tuple[tuple[str, str], ...] = (
    ("messenger.menu.ask_procedure", "/ask_procedure"),
    ("messenger.menu.check_record", "/check_record_status"),
    ("messenger.menu.find_office", "/find_office"),
    ("messenger.menu.talk_to_staff", "/human_handoff"),
)
_OTHER_LANGUAGE = {"vi": "en", "en": "vi"}

messenger_app = typer.Typer(
    help="Set up the fanpage's Messenger profile (Get Started, greeting, menu).",
    no_args_is_help=True,
)


@messenger_app.callback()
def messenger_group() -> None:
    """The fanpage's Messenger channel (its webhook runs inside the gateway)."""


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _menu_item(title: str, payload: str, codec: PayloadCodec) -> dict[str, str]:
    signed = codec.encode(payload)
    assert signed is not None  # the menu's payloads are short
    return {"type": "postback", "title": title, "payload": signed}


def profile(settings: Settings) -> dict[str, Any]:
    """The Messenger profile of the fanpage: Get Started, greeting, menu per locale."""
    codec = PayloadCodec(settings.secret_key.get_secret_value())
    get_started = codec.encode(GET_STARTED_PAYLOAD)
    menus = []
    greetings = []
    for lang, locale in LOCALES.items():
        other = _OTHER_LANGUAGE[lang]
        items = [_menu_item(text(key, lang), payload, codec) for key, payload in MENU]
        switch = '/change_language{"language":"' + other + '"}'
        items.append(_menu_item(text("messenger.menu.language", lang), switch, codec))
        menus.append({"locale": locale, "composer_input_disabled": False, "call_to_actions": items})
        greetings.append({"locale": locale, "text": text("messenger.greeting", lang)})
    return {
        "get_started": {"payload": get_started},
        "greeting": greetings,
        "persistent_menu": menus,
    }


async def set_profile(settings: Settings) -> None:
    """Post :func:`profile` to the Messenger Profile API."""
    import httpx

    from connectors.messenger.graph import GraphClient

    if settings.messenger_page_token is None:
        raise _fail("HELPDESK_MESSENGER_PAGE_TOKEN is not set (the fanpage's access token).")
    async with httpx.AsyncClient() as http:
        graph = GraphClient(
            http,
            settings.messenger_graph_base_url,
            settings.messenger_graph_version,
            settings.messenger_page_token,
            settings.messenger_app_secret,
        )
        await graph.post(PROFILE_PATH, profile(settings))


@messenger_app.command("setup")
def setup_command() -> None:
    """Set the Get Started button, the greeting and the persistent menu (vi, en_US)."""
    from connectors.messenger.graph import GraphError, InvalidToken

    settings = get_settings()
    try:
        asyncio.run(set_profile(settings))
    except InvalidToken:
        raise _fail(
            "Graph API refused the page access token (code 190): renew "
            "HELPDESK_MESSENGER_PAGE_TOKEN."
        ) from None
    except GraphError as exc:
        raise _fail(f"Graph API refused the profile: {exc}") from None
    typer.echo("Messenger profile set: Get Started, greeting and menu (vi, en_US).")
    typer.echo(
        f"Webhook: {settings.public_url.rstrip('/')}{WEBHOOK_PATH} with "
        "HELPDESK_MESSENGER_VERIFY_TOKEN, fields messages and messaging_postbacks "
        "(in the app's Messenger settings)."
    )
