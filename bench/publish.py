"""Catalogue publishing at the real size: stage, build beside the live index, swap, roll back.

Starts from the bundled catalogue with its index (built first if missing, reported apart),
on a fresh SQLite database. An admin's upload changes one procedure (a fee of 1.014064, the
reissue of an ID card); the script times, in this process:

- **stage**: copy the live folder, lay the file over it, validate all entries, diff, zip,
  store the release;
- **build**: the new index beside the live one (embeddings of unchanged entries come from the
  cache in ``var/cache``; only the changed entry is embedded) with its calibration, then the
  pointer move;
- **swap**: what each other process does when it sees the pointer move: unpack the release,
  load the catalogue and the index (no build);
- **rollback**: the pointer back to the shipped files, with the check that their index exists.

One run; each step's wall time. The machine's other load shows in these figures.

Usage: python bench/publish.py [--var DIR] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CODE = "1.014064"


def _changed_entry(settings: object) -> bytes:
    from knowledge.catalogue import catalogue_files

    catalogue_dir = settings.catalogue_dir  # type: ignore[attr-defined]
    path = next(p for p in catalogue_files(catalogue_dir) if p.stem == CODE)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("aliases", []).append("làm lại căn cước bị mất")
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var", type=Path, default=ROOT / "var", help="var folder (its cache)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from helpdesk.settings import Settings
    from publishing.candidate import Upload
    from publishing.live import LiveKnowledge, open_live, open_release
    from publishing.publisher import Publisher
    from store.catalogue_releases import CatalogueReleases
    from store.db import make_engine, make_session_factory, migrate

    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    try:
        (work / "cache").mkdir()
        cache = args.var / "cache" / "embeddings.sqlite"
        if cache.exists():
            shutil.copy(cache, work / "cache" / "embeddings.sqlite")
        index_dir = args.var / "index"
        settings = Settings(
            var_dir=work,
            index_dir=work / "index",
            database_url=f"sqlite:///{work / 'bench.db'}",
            _env_file=None,  # type: ignore[call-arg]
        )
        if index_dir.exists():
            shutil.copytree(index_dir, settings.index_dir)
        engine = make_engine(settings.database_url)
        migrate(engine)
        releases = CatalogueReleases(make_session_factory(engine))
        publisher = Publisher(settings, releases)

        figures: dict[str, float | int | str] = {}
        started = time.perf_counter()
        live: LiveKnowledge = open_live(settings, releases)
        figures["open_live_s"] = round(time.perf_counter() - started, 2)
        figures["procedures"] = len(live.knowledge.catalogue)
        embedder = live.knowledge.searcher.embedder

        started = time.perf_counter()
        upload = Upload(f"{CODE}.yaml", _changed_entry(settings))
        release = publisher.stage([upload], live.knowledge, live.pointer, "bench")
        figures["stage_s"] = round(time.perf_counter() - started, 2)
        info = releases.get(release)
        assert info is not None and info.state == "staged", info

        started = time.perf_counter()
        pointer = publisher.publish(release, "bench", embedder=embedder)
        figures["build_and_publish_s"] = round(time.perf_counter() - started, 2)

        started = time.perf_counter()
        swapped = open_release(settings, releases, pointer, embedder)
        figures["swap_load_s"] = round(time.perf_counter() - started, 2)
        hits = swapped.knowledge.searcher.search("làm lại căn cước bị mất", k=3).hits
        figures["new_alias_top_hit"] = hits[0].code if hits else ""

        started = time.perf_counter()
        publisher.rollback("bench", expected_version=pointer.version, embedder=embedder)
        figures["rollback_s"] = round(time.perf_counter() - started, 2)
        engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
