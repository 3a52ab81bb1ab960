"""The gateway for browser tests, run by uvicorn in a background process.

``uvicorn --factory tests.connectors.serve_gateway:app``; configured by ``HELPDESK_*``
variables (the test sets ``HELPDESK_RASA_URL`` to its fake Rasa). The procedure index is
not loaded: the widget only needs the chat relay.
"""

from __future__ import annotations

from fastapi import FastAPI

from connectors.web.app import create_app
from helpdesk.settings import Settings


def app() -> FastAPI:
    return create_app(Settings(_env_file=None), load_knowledge=False)  # type: ignore[call-arg]
