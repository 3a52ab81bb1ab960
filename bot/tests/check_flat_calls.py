"""bot.server's flat model calls give exactly what Rasa's own calls give.

Every message of the test stories is handled by the trained model (without an action
server: custom actions fail, predictions go on). Each DIET and TED prediction is made twice,
through Rasa's call and through the flat call, and the outputs are compared element by
element. Run in the Rasa environment:

    PYTHONPATH=. .venv-rasa/bin/python bot/tests/check_flat_calls.py \
        --model var/models/helpdesk.tar.gz

Exit status 1 when any output differs or the flat call was never taken.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rasa.core.agent import load_agent
from rasa.utils.tensorflow.models import RasaModel

from bot.server import flat_model_calls

STORIES = Path(__file__).with_name("test_stories.yml")


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    return bool(a == b)


def story_messages() -> list[list[str]]:
    """The user messages of each test story, entity annotations removed."""
    stories = yaml.safe_load(STORIES.read_text())["stories"]
    plain = [
        [
            re.sub(r"\[([^\]]+)\]\{[^}]*\}", r"\1", s["user"]).strip()
            for s in story["steps"]
            if "user" in s
        ]
        for story in stories
    ]
    return plain


async def run(model: str) -> int:
    rasa_call = RasaModel._rasa_predict
    flat_model_calls()
    flat_call = RasaModel._rasa_predict
    counts = {"calls": 0, "flat": 0, "differ": 0}

    def compare(self: RasaModel, batch_in: Any) -> Any:
        expected = rasa_call(self, batch_in)  # the first call traces the graph
        got = flat_call(self, batch_in)
        counts["calls"] += 1
        counts["flat"] += int("_flat_call" in self.__dict__)
        if not same(expected, got):
            counts["differ"] += 1
            print(f"FAIL {type(self).__name__}: outputs differ")
        return expected

    RasaModel._rasa_predict = compare  # type: ignore[method-assign]
    agent = await load_agent(model)
    for n, messages in enumerate(story_messages()):
        for text in messages:
            await agent.handle_text(text, sender_id=f"story-{n}")
    print(
        f"{counts['calls']} predictions, {counts['flat']} through the flat call, "
        f"{counts['differ']} differing"
    )
    return 0 if counts["flat"] > 0 and counts["differ"] == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # the failing custom actions log an error each
    return asyncio.run(run(args.model))


if __name__ == "__main__":
    sys.exit(main())
