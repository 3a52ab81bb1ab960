"""Check that the NLU annotations agree with what the regex/lookup extractor will find.

Entities are extracted by RegexEntityExtractor (regexes in bot/data/nlu/regex.yml, lookups
generated into bot/data/generated/), not learned. This script runs exactly those patterns, the
way Rasa builds them, over every training example and over the user turns of the test
stories, and lists each example whose annotated spans differ from the extracted ones.

Run in the Rasa environment:
    PYTHONPATH=. .venv-rasa/bin/python bot/tests/check_annotations.py [--data bot/data]
Exit status 1 when an example disagrees.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from rasa.nlu.extractors.entity_synonyms import EntitySynonymMapper
from rasa.nlu.utils import pattern_utils
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data.training_data import TrainingData

# Entities that no regex or lookup extracts (the language entity comes from LanguageDetector).
NOT_EXTRACTED = {"language"}


def extract(patterns: list[dict[str, str]], text: str) -> set[tuple[int, int, str]]:
    """The spans RegexEntityExtractor finds (case-insensitive, every pattern)."""
    found = set()
    for pattern in patterns:
        for match in re.finditer(pattern["pattern"], text, flags=re.IGNORECASE):
            found.add((match.start(), match.end(), pattern["name"]))
    return found


def trained_synonyms(data: TrainingData) -> dict[str, str]:
    """The synonym table EntitySynonymMapper.train builds (explicit synonyms, annotated
    values, and the lower-case self-references it adds for every value)."""
    mapper = EntitySynonymMapper({}, None, None)  # type: ignore[arg-type]
    for key, value in list(data.entity_synonyms.items()):
        mapper._add_entities_if_synonyms(key, value)
    for example in data.entity_examples:
        for entity in example.get("entities", []):
            text = example.get("text")[entity["start"] : entity["end"]]
            mapper._add_entities_if_synonyms(text, str(entity.get("value")))
    return mapper.synonyms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="bot/data", type=Path)
    parser.add_argument("--stories", default="bot/tests/test_stories.yml", type=Path)
    parser.add_argument("--domain", default="bot/domain.yml", type=Path)
    args = parser.parse_args()

    data: TrainingData = RasaFileImporter(training_data_paths=[str(args.data)]).get_nlu_data()
    patterns = pattern_utils.extract_patterns(data, use_only_entities=True)
    synonyms = trained_synonyms(data)

    examples: list[tuple[str, str, list[dict]]] = [
        ("nlu", m.get("text"), m.get("entities") or []) for m in data.entity_examples
    ]
    examples += [("nlu", m.get("text"), []) for m in data.intent_examples if not m.get("entities")]
    if args.stories.exists():
        domain = Domain.load(str(args.domain))
        steps = YAMLStoryReader(domain).read_from_file(str(args.stories))
        for step in steps:
            for event in step.events:
                if isinstance(event, UserUttered) and event.text and not event.text.startswith("/"):
                    examples.append(("story", event.text, event.entities))

    bad = 0
    for source, text, entities in examples:
        gold = {
            (e["start"], e["end"], e["entity"])
            for e in entities
            if e["entity"] not in NOT_EXTRACTED
        }
        got = extract(patterns, text)
        problems = []
        if gold != got:
            missing = sorted(gold - got)
            extra = sorted(got - gold)
            problems.append(
                "annotated but not extracted: "
                + ", ".join(f"{text[s:e]!r}({n})" for s, e, n in missing)
                + " | extracted but not annotated: "
                + ", ".join(f"{text[s:e]!r}({n})" for s, e, n in extra)
            )
        for entity in entities:
            if source != "story" or entity["entity"] in NOT_EXTRACTED:
                continue
            span = text[entity["start"] : entity["end"]]
            expected = synonyms.get(span.lower(), span)
            if str(entity.get("value")) != expected:
                problems.append(
                    f"value of {span!r} is {entity.get('value')!r}, Rasa gives {expected!r}"
                )
        if problems:
            bad += 1
            print(f"[{source}] {text}\n    " + "\n    ".join(problems))
    print(f"{len(examples)} examples checked, {bad} disagree", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
