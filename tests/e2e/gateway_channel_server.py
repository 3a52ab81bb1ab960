"""The gateway input channel (bot/channels.py) in a bare Sanic app, with a stand-in agent.

Runs in Rasa's environment and loads no model: the channel's door (token, body checks, cap,
metadata, health) is checked over HTTP in seconds. The stand-in agent answers with what it
received; ``POST /_ready`` makes it ready (until then the channel's health is 503),
``GET /_handled`` says how many messages reached it and ``GET /_paused/<sender>`` whether the
channel's events route left that conversation paused (an in-memory tracker and lock store).

Usage, from the project root with PYTHONPATH=. (the token comes from the environment)::

    HELPDESK_RASA_TOKEN=... .venv-rasa/bin/python tests/e2e/gateway_channel_server.py PORT
"""

from __future__ import annotations

import sys
from typing import Any

from rasa.core.channels.channel import UserMessage, register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import GatewayInput


class StandInProcessor:
    def __init__(self, tracker_store: InMemoryTrackerStore) -> None:
        self.tracker_store = tracker_store

    async def fetch_tracker_with_initial_session(self, sender: str) -> DialogueStateTracker:
        tracker: DialogueStateTracker = await self.tracker_store.get_or_create_tracker(sender)
        return tracker


class StandInAgent:
    def __init__(self) -> None:
        self.ready = False
        self.handled = 0
        self.domain = Domain.empty()
        self.lock_store = InMemoryLockStore()
        self.tracker_store = InMemoryTrackerStore(self.domain)
        self.processor = StandInProcessor(self.tracker_store)

    def is_ready(self) -> bool:
        return self.ready

    async def handle_message(self, message: UserMessage) -> None:
        self.handled += 1
        await message.output_channel.send_custom_json(
            message.sender_id,
            {
                "text": message.text,
                "metadata": message.metadata,
                "input_channel": message.input_channel,
            },
        )


def create_app() -> Sanic:
    app = Sanic("gateway_channel_check")
    agent = StandInAgent()
    app.ctx.agent = agent
    register([GatewayInput.from_credentials(None)], app, route="/webhooks/")

    @app.post("/_ready")
    async def ready(request: Request) -> HTTPResponse:
        agent.ready = True
        return response.json({"ready": True})

    @app.get("/_handled")
    async def handled(request: Request) -> HTTPResponse:
        return response.json({"handled": agent.handled})

    @app.get("/_paused/<sender>")
    async def paused(request: Request, sender: str) -> HTTPResponse:
        tracker = await agent.tracker_store.retrieve(sender)
        return response.json({"paused": tracker is not None and tracker.is_paused()})

    @app.get("/_max_size")
    async def max_size(request: Request) -> HTTPResponse:
        return response.json({"request_max_size": request.app.config.REQUEST_MAX_SIZE})

    return app


def main(argv: list[str]) -> None:
    app: Any = create_app()
    app.run(host="127.0.0.1", port=int(argv[1]), access_log=False)


if __name__ == "__main__":
    main(sys.argv)
