"""Run the action server: rasa-sdk's Sanic app, with the back end loaded before it listens."""

from __future__ import annotations

import logging
from typing import Any

from helpdesk.settings import Settings

logger = logging.getLogger(__name__)


def selective_domain_executor() -> Any:
    """rasa-sdk's executor, for Rasa Open Source's selective domain.

    With ``enable_selective_domain`` Rasa 3.6 sends the domain only to the actions marked
    ``send_domain`` (here the two form validations, which read the forms' slots from it)
    and sends no domain digest. rasa-sdk 3.21 would answer every other call with HTTP 449
    ("missing domain, retry with it"), a retry Rasa Open Source does not make. Here a call
    without domain and digest runs with an empty domain: this project's other actions do not
    read it. Calls that carry a domain or a digest are handled by rasa-sdk as before.
    """
    from rasa_sdk.executor import ActionExecutor

    class SelectiveDomainExecutor(ActionExecutor):
        def update_and_return_domain(
            self, payload: dict[str, Any], action_name: str
        ) -> dict[str, Any] | None:
            if payload.get("domain") is None and not payload.get("domain_digest"):
                return {}
            domain: dict[str, Any] | None = super().update_and_return_domain(payload, action_name)
            return domain

    return SelectiveDomainExecutor()


def create_action_app(settings: Settings) -> object:
    """rasa-sdk's app for the ``actions`` package, warming the services at start-up."""
    from rasa_sdk.endpoint import create_app

    from actions.services import Services, set_services

    services = Services(settings)
    set_services(services)
    executor = selective_domain_executor()
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
