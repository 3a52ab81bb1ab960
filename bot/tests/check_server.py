"""bot.server's compiled action-response check accepts and rejects what Rasa's own does.

Run in the Rasa environment: PYTHONPATH=. .venv-rasa/bin/python bot/tests/check_server.py
Exit status 1 when the two disagree.
"""

from __future__ import annotations

import sys

from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot.server import compile_action_response_check

SAMPLES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "procedure", "value": "1.001193"}], "responses": []},
    {"events": [], "responses": [{"text": "Lệ phí: miễn phí.", "buttons": []}]},
    {"events": [{"event": "slot"}], "responses": []},  # a slot event without its name
    {"events": "not a list", "responses": []},
    {"events": [{"event": 42}], "responses": []},
    {"responses": [{"text": "ok"}]},
]


def main() -> int:
    schema = RemoteAction.action_response_format_spec()
    action = RemoteAction("action_answer_fee", None)
    original = RemoteAction._validate_action_result
    compile_action_response_check()
    bad = rejected = 0
    for sample in SAMPLES:
        try:
            validate(sample, schema)
            expected = None
        except ValidationError as error:
            expected = error.message
            rejected += 1
        try:
            got = None if action._validate_action_result(sample) else "returned False"
        except ValidationError as error:
            got = error.message.split(". Failed to validate Action server response")[0]
        if got != expected:
            bad += 1
            print(f"{sample}: compiled check says {got!r}, jsonschema says {expected!r}")
    if RemoteAction._validate_action_result is original:
        print("the check was not replaced")
        bad += 1
    if rejected < 3:
        print(f"only {rejected} samples are invalid: the check is not exercised")
        bad += 1
    print(f"{len(SAMPLES)} responses checked ({rejected} invalid), {bad} disagree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
