"""Summarise a `rasa test nlu --cross-validation` output folder and check the targets.

Prints the intent macro-F1 (the mean over intents, so small intents weigh as much as big
ones), the weighted F1, the weakest intents, and the F1 of each entity found by the
LookupRegexEntityExtractor (Rasa's RegexEntityExtractor, see bot/components/lookup.py).
Exit status 1 when the intent macro-F1 or the record_code F1 is below its target.

    python bot/tests/cv_summary.py var/rasa-results/nlu-cv [--min-intent-f1 0.90]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXTRACTOR = "LookupRegexEntityExtractor"
SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--min-intent-f1", type=float, default=0.90)
    parser.add_argument("--min-record-code-f1", type=float, default=0.98)
    args = parser.parse_args()

    intents = json.loads((args.results / "intent_report.json").read_text(encoding="utf-8"))
    macro = intents["macro avg"]["f1-score"]
    weighted = intents["weighted avg"]["f1-score"]
    per_intent = {k: v for k, v in intents.items() if k not in SUMMARY_KEYS}
    print(f"intents: macro-F1 {macro:.3f}, weighted F1 {weighted:.3f} ({len(per_intent)} intents)")
    weakest = sorted(per_intent.items(), key=lambda kv: kv[1]["f1-score"])[:6]
    print("  weakest: " + ", ".join(f"{k} {v['f1-score']:.3f}" for k, v in weakest))

    entities = json.loads((args.results / f"{EXTRACTOR}_report.json").read_text(encoding="utf-8"))
    record_code = entities.get("record_code", {}).get("f1-score", 0.0)
    print(f"entities ({EXTRACTOR}):")
    for name, report in sorted(entities.items()):
        if name not in SUMMARY_KEYS and isinstance(report, dict):
            print(f"  {name}: F1 {report['f1-score']:.3f} (support {report['support']})")

    ok = macro >= args.min_intent_f1 and record_code >= args.min_record_code_f1
    verdict = "meets" if ok else "MISSES"
    print(
        f"{verdict} the targets: intent macro-F1 >= {args.min_intent_f1}, "
        f"record_code F1 >= {args.min_record_code_f1}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
