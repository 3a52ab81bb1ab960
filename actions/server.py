"""Run the action server: rasa-sdk's Sanic app, with the back end loaded before it listens."""

from __future__ import annotations

import logging

from helpdesk.settings import Settings

logger = logging.getLogger(__name__)


def create_action_app(settings: Settings) -> object:
    """rasa-sdk's app for the ``actions`` package, warming the services at start-up."""
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    from actions.services import Services, set_services

    services = Services(settings)
    set_services(services)
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=[])

    @app.before_server_start
    async def warm_up(app: object, _loop: object) -> None:
        services.warm_up()
        logger.info("action server ready")

    return app


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve on ``host:port`` in this process (single worker; scale out with replicas)."""
    app = create_action_app(settings)
    app.run(host=host, port=port, single_process=True, access_log=False)  # type: ignore[attr-defined]
