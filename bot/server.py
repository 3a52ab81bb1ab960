"""Rasa's own command line (``rasa run ...``), with the action-response check compiled once.

Rasa 3.6 checks every response of the action server against a JSON schema with
``jsonschema.validate(result, schema)``. With the pinned jsonschema 4.17 that call first
re-validates the schema itself against the JSON-Schema meta-schema, every time: measured
with py-spy under load, that was about 30 % of the Rasa process's CPU time in this
assistant, where nearly every answer calls the action server. Here the schema is checked
once at start-up and one validator is reused; each response is still validated, and the
error raised for a bad response is the same one (``best_match`` of the validator's
errors) with Rasa's own explanation appended.

    PYTHONPATH=. .venv-rasa/bin/python -m bot.server run --enable-api ...

``helpdesk run`` starts Rasa this way; every argument is Rasa's.
"""

from __future__ import annotations

from typing import Any


def compile_action_response_check() -> None:
    """Replace ``RemoteAction._validate_action_result`` by one with a prebuilt validator."""
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def main() -> None:
    """Run Rasa's command line with the compiled check."""
    compile_action_response_check()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
