"""Run the trained model's NLU on every user message of the test stories and compare.

`rasa test core` replays the stories with their annotated intents; only `--e2e` would parse
the written-out messages, and that mode also demands a gold span for the `language` entity,
which describes a whole message and cannot be annotated beside other entities. This script
fills the gap: for each typed user message it checks the predicted intent, the entities
(start, end, type, value; `language` excluded) and the detected language against the
story's tag ([vi], [vi-nodiac] -> "vi"; [en] -> "en"; [mixed] not checked). A message may
leave the language undetected ("ok", a code), but it must never detect the wrong one. A
message the story marks `nlu_fallback` passes when the model says `nlu_fallback` or
`out_of_scope`.

Run in the Rasa environment after training:
    PYTHONPATH=. .venv-rasa/bin/python bot/tests/check_story_nlu.py \
        --model var/models/helpdesk.tar.gz
Exit status 1 when a message disagrees.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from pathlib import Path

from rasa.core.agent import load_agent
from rasa.model import get_local_model
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.utils.log_utils import configure_structlog

# A message the story marks as not understood may also be recognised as out of scope: both
# end in a reply that says what the assistant can do, instead of acting on a wrong intent.
FALLBACK = "nlu_fallback"
NOT_UNDERSTOOD = {FALLBACK, "out_of_scope"}
_TAG = re.compile(r"\[(vi|vi-nodiac|en|mixed)\]\s*$")
_LANGUAGE_OF_TAG = {"vi": "vi", "vi-nodiac": "vi", "en": "en"}


async def check(model: str, stories: Path, domain_path: Path) -> int:
    configure_structlog(logging.WARNING)  # the processor logs every parse at debug level
    agent = await load_agent(get_local_model(model))
    domain = Domain.load(str(domain_path))
    steps = YAMLStoryReader(domain).read_from_file(str(stories))
    checked = bad = 0
    for step in steps:
        tag = _TAG.search(step.block_name or "")
        expected_language = _LANGUAGE_OF_TAG.get(tag.group(1)) if tag else None
        for event in step.events:
            if not (isinstance(event, UserUttered) and event.text):
                continue
            if event.text.startswith("/"):
                continue  # a button payload: Rasa unpacks it without the NLU pipeline
            checked += 1
            parsed = await agent.parse_message(event.text)
            problems = []
            got_intent = parsed["intent"]["name"]
            if got_intent != event.intent_name and not (
                event.intent_name == FALLBACK and got_intent in NOT_UNDERSTOOD
            ):
                problems.append(
                    f"intent {got_intent} ({parsed['intent']['confidence']:.2f}), "
                    f"expected {event.intent_name}"
                )
            gold = {_key(e) for e in event.entities if e["entity"] != "language"}
            got = {_key(e) for e in parsed["entities"] if e["entity"] != "language"}
            if gold != got:
                problems.append(f"entities {sorted(got)}, expected {sorted(gold)}")
            detected = [e["value"] for e in parsed["entities"] if e["entity"] == "language"]
            if (
                expected_language
                and event.intent_name != "change_language"
                and detected
                and detected[0] != expected_language
            ):
                problems.append(f"language {detected[0]}, expected {expected_language}")
            if problems:
                bad += 1
                print(f"{step.block_name}: {event.text!r}\n    " + "\n    ".join(problems))
    print(f"{checked} user messages checked, {bad} disagree", file=sys.stderr)
    return 1 if bad else 0


def _key(entity: dict) -> tuple[int, int, str, str]:
    return (entity["start"], entity["end"], entity["entity"], str(entity["value"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="var/models/helpdesk.tar.gz")
    parser.add_argument("--stories", default="bot/tests/test_stories.yml", type=Path)
    parser.add_argument("--domain", default="bot/domain.yml", type=Path)
    args = parser.parse_args()
    return asyncio.run(check(args.model, args.stories, args.domain))


if __name__ == "__main__":
    sys.exit(main())
