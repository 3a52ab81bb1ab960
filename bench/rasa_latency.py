"""Message round trip through Rasa: this assistant beside Rasa's stock bot.

Both are measured in the same run on the same machine. The stock bot is generated with
``rasa init`` in a temporary folder (it trains there) and answers on Rasa's plain REST
channel; ours is started as ``helpdesk run`` starts it (the model ``make run`` trains, the
token-guarded gateway channel, the action server running: every answer calls it). For each
bot: p50/p95 at 1 conversation (sequential) and at 10 concurrent conversations, throughput
at saturation (32 concurrent conversations), and the resident memory of each process. A
simulated citizen replays the bot's script (8 messages for ours, 6 for the stock bot) and
starts a new conversation after each pass.

Usage: python bench/rasa_latency.py [--messages 200] [--out docs/bench/rasa.json]
       [--memory-tracker]   (ours with Rasa's in-memory tracker store, for comparison)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk.settings import Settings  # noqa: E402
from helpdesk_cli.run import (  # noqa: E402
    GATEWAY_WEBHOOK,
    Service,
    actions_service,
    free_port,
    launch,
    model_path,
    rasa_env,
    rasa_service,
    render_endpoints,
    stop,
    train_if_changed,
)

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"

OURS = [
    "xin chào",
    "làm giấy khai sinh cần những giấy tờ gì",
    "còn lệ phí thì sao",
    "chung thuc ban sao bao nhieu tien",
    "đăng ký kết hôn mất bao lâu",
    "nộp ở đâu",
    "how do I renew my ID card",
    "cảm ơn",
]
STOCK = ["hello", "I am feeling great", "are you a bot?", "I am sad", "yes", "goodbye"]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


async def conversation(
    client: httpx.AsyncClient, url: str, sender: str, texts: list[str], count: int, out: list[float]
) -> None:
    """One simulated citizen: ``count`` messages, a fresh conversation after each script.

    A real conversation is a handful of messages; replaying one script hundreds of times in
    the same conversation would measure the cost of an ever-longer tracker instead.
    """
    for i in range(count):
        started = time.perf_counter()
        conversation_id = f"{sender}-{i // len(texts)}"
        message = texts[i % len(texts)]
        response = await client.post(url, json={"sender": conversation_id, "message": message})
        response.raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
        if not response.json():  # a failed custom action answers nothing: not a valid run
            raise RuntimeError(f"no answer to {message!r} in conversation {conversation_id}")


async def load(
    url: str,
    texts: list[str],
    conversations: int,
    per_conversation: int,
    tag: str,
    headers: dict[str, str],
) -> dict[str, float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=conversations + 4)
    async with httpx.AsyncClient(timeout=120, limits=limits, headers=headers) as client:
        # warm up
        await conversation(client, url, f"{tag}-warm", texts, len(texts), [])
        started = time.perf_counter()
        await asyncio.gather(
            *(
                conversation(
                    client, url, f"{tag}-{conversations}-{n}", texts, per_conversation, latencies
                )
                for n in range(conversations)
            )
        )
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "conversations": conversations,
        "messages": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "throughput_msg_s": round(len(latencies) / elapsed, 1),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    url: str,
    texts: list[str],
    messages: int,
    tag: str,
    processes: dict[str, int],
    headers: dict[str, str] | None = None,
) -> dict[str, object]:
    """Latency at 1 and 10 conversations, throughput at 32, CPU per message at 32."""
    headers = headers or {}
    result: dict[str, object] = {
        "one": asyncio.run(load(url, texts, 1, messages, tag, headers)),
        "ten": asyncio.run(load(url, texts, 10, max(1, messages // 10), tag, headers)),
    }
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    saturation = asyncio.run(load(url, texts, 32, max(1, messages // 16), tag, headers))
    sent = saturation["messages"] + len(texts)  # the load's warm-up pass counts too
    result["saturation"] = saturation
    result["cpu_ms_per_message_at_saturation"] = {
        name: round((cpu_seconds(pid) - before[name]) / sent * 1000, 1)
        for name, pid in processes.items()
    }
    return result


def bench_stock(messages: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="rasa-stock-"))
    env = rasa_env()
    started = time.perf_counter()
    subprocess.run(
        [str(RASA), "init", "--no-prompt", "--init-dir", str(folder)],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
    )
    init_s = time.perf_counter() - started
    port = free_port()
    # the stock bot's own REST channel (credentials.yml of `rasa init`), without the HTTP API;
    # the channel's GET route answers once the model is loaded (Rasa listens only then)
    command = [str(RASA), "run", "-i", "127.0.0.1", "-p", str(port)]
    health = f"http://127.0.0.1:{port}/webhooks/rest/"
    rasa = launch(Service("stock rasa", command, health, env, folder))
    try:
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        result = measure(url, STOCK, messages, "stock", {"rasa": rasa.process.pid})  # type: ignore[union-attr]
        result["rss_mb"] = {"rasa": rss_mb(rasa.process.pid)}  # type: ignore[union-attr]
        result["init_and_train_s"] = round(init_s, 1)
        return result
    finally:
        stop([rasa])


def bench_ours(messages: int, memory_tracker: bool = False) -> dict[str, object]:
    var = Path(tempfile.mkdtemp(prefix="rasa-ours-"))
    rasa_url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        actions_url=f"http://127.0.0.1:{free_port()}",
        database_url=f"sqlite:///{var / 'helpdesk.db'}",
        var_dir=ROOT / "var",
    )
    train_if_changed(settings)
    endpoints = render_endpoints(settings.model_copy(update={"var_dir": var}))
    if memory_tracker:  # for comparison only: conversations are then lost on a restart
        config = yaml.safe_load(endpoints.read_text())
        del config["tracker_store"]
        endpoints.write_text(yaml.safe_dump(config))
    env = dict(os.environ, HELPDESK_DATABASE_URL=settings.database_url)
    actions = launch(actions_service(settings, env))
    try:
        rasa = launch(rasa_service(model_path(settings), endpoints, rasa_url, settings), 300)
        try:
            pids = {"rasa": rasa.process.pid, "actions": actions.process.pid}  # type: ignore[union-attr]
            token = {"Authorization": f"Bearer {settings.internal_token('rasa')}"}
            url = f"{rasa_url}{GATEWAY_WEBHOOK}"
            result = measure(url, OURS, messages, "ours", pids, token)
            result["tracker_store"] = "memory" if memory_tracker else "sql (sqlite)"
            result["rss_mb"] = {
                "rasa": rss_mb(rasa.process.pid),  # type: ignore[union-attr]
                "actions": rss_mb(actions.process.pid),  # type: ignore[union-attr]
            }
            return result
        finally:
            stop([rasa])
    finally:
        stop([actions])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench" / "rasa.json")
    parser.add_argument(
        "--memory-tracker",
        action="store_true",
        help="run ours with Rasa's in-memory tracker store (to see what persistence costs)",
    )
    args = parser.parse_args()
    results = {
        "stock": bench_stock(args.messages),
        "ours": bench_ours(args.messages, args.memory_tracker),
    }
    stock, ours = results["stock"], results["ours"]
    results["ratios"] = {
        "p95_one_conversation": round(ours["one"]["p95_ms"] / stock["one"]["p95_ms"], 2),  # type: ignore[index]
        "throughput": round(
            ours["saturation"]["throughput_msg_s"] / stock["saturation"]["throughput_msg_s"],
            2,  # type: ignore[index]
        ),
    }
    print(json.dumps(results, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
