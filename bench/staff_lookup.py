"""Server time per keystroke of the counter staff's search as you type, at the real catalogue.

Each query below is typed one character at a time, as an officer types it ("đ", "đă", "đăn",
"đăng", "đăng ", "đăng k", ...), and every prefix is one request for the results fragment,
``GET /staff/lookup/results?q=...``, through the whole gateway app in this process (Starlette's
TestClient: routing, the signed-in officer's dependency, the lookup, the template), against the
bundled catalogue and its index in ``var/index`` (``helpdesk index build`` builds it), with the
service's thread settings. The page's script waits 150 ms after the last keystroke and drops
stale requests, so a browser asks for fewer than this; timing every prefix is the worst case.
Before timing, the lookup page is opened once (it prepares the table of name syllables that
finishes a word being typed) and a few prefixes are searched (warm-up); that first page's time
is reported apart. Goal: p95 ≤ 50 ms per keystroke.

Usage: python bench/staff_lookup.py [--passes 3] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WARM_UP = 10

# What counter staff type: names and keywords with and without diacritics, abbreviations,
# and procedure codes.
QUERIES = [
    "đăng ký khai sinh",
    "dang ky khai sinh",
    "khai tử",
    "đăng ký kết hôn",
    "ket hon luu dong",
    "xác nhận tình trạng hôn nhân",
    "xac nhan doc than",
    "trích lục hộ tịch",
    "cải chính hộ tịch",
    "nhận cha mẹ con",
    "đăng ký giám hộ",
    "chứng thực bản sao",
    "chung thuc chu ky",
    "chứng thực hợp đồng",
    "đăng ký thường trú",
    "dang ky tam tru",
    "khai báo tạm vắng",
    "cấp đổi thẻ căn cước",
    "cap lai can cuoc",
    "đăng ký hộ kinh doanh",
    "thay đổi hộ kinh doanh",
    "giấy phép xây dựng",
    "sang tên sổ đỏ",
    "cap doi so do",
    "chuyển mục đích sử dụng đất",
    "trợ cấp xã hội hàng tháng",
    "hỗ trợ mai táng",
    "người có công",
    "bhyt hộ gia đình",
    "đăng ký xe máy",
    "hòa giải cơ sở",
    "lý lịch tư pháp",
    "1.001193",
    "1.000894",
    "2.000986",
    "1.004222",
]


def keystrokes(query: str) -> list[str]:
    """Every prefix of ``query`` an officer's typing sends, the whole query last."""
    return [query[:end] for end in range(1, len(query) + 1)]


def percentile(samples: list[float], pct: int) -> float:
    """The ``pct``-th percentile (nearest rank below) of ``samples``, rounded to 0.01."""
    ordered = sorted(samples)
    if pct == 50:
        return round(statistics.median(ordered), 2)
    return round(ordered[int(pct / 100 * (len(ordered) - 1))], 2)


def summary(samples: list[float]) -> dict[str, float | int]:
    return {
        "requests": len(samples),
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "max_ms": round(max(samples), 2),
    }


def measure(passes: int) -> dict[str, object]:
    from fastapi.testclient import TestClient

    from connectors.web.app import create_app
    from connectors.web.auth import StaffUser, require_staff
    from connectors.web.staff.lookup import CODE_START
    from helpdesk.errors import IndexUnavailable
    from helpdesk.settings import Settings
    from knowledge.service import open_knowledge

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    try:
        knowledge = open_knowledge(settings, build=False)
    except IndexUnavailable as exc:
        sys.exit(f"{exc}\nbuild it first: helpdesk index build")
    app = create_app(settings, knowledge=knowledge)
    app.dependency_overrides[require_staff] = lambda: StaffUser(1, "bench", "staff")
    words: list[float] = []
    codes: list[float] = []
    with TestClient(app) as client:
        started = time.perf_counter()
        assert client.get("/staff/lookup").status_code == 200
        first_page_ms = (time.perf_counter() - started) * 1000
        for q in keystrokes(QUERIES[0])[:WARM_UP]:
            client.get("/staff/lookup/results", params={"q": q})
        for _ in range(passes):
            for query in QUERIES:
                for q in keystrokes(query):
                    started = time.perf_counter()
                    response = client.get("/staff/lookup/results", params={"q": q})
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, (q, response.status_code)
                    (codes if CODE_START.match(q.strip()) else words).append(elapsed)
    return {
        "procedures": len(knowledge.catalogue),
        "queries": len(QUERIES),
        "passes": passes,
        "threads": {"embed": settings.embed_threads, "faiss": settings.search_threads},
        "first_page_ms": round(first_page_ms, 1),
        "all": summary(words + codes),
        "words": summary(words),
        "codes": summary(codes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="times every query is typed")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    result = measure(args.passes)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
