"""A terminal chat against the running gateway (``helpdesk chat`` / ``make shell``)."""

from __future__ import annotations

import uuid

import httpx
import typer


def chat(base_url: str) -> None:
    """Read lines, send them to ``/api/chat``, print the answers; a number picks a button."""
    conversation = f"term-{uuid.uuid4().hex[:12]}"
    buttons: list[dict[str, str]] = []
    typer.echo("Gõ câu hỏi (Ctrl-D để thoát). Type a question (Ctrl-D to quit).")
    with httpx.Client(base_url=base_url, timeout=60) as client:
        while True:
            try:
                line = input("> ").strip()
            except (EOFError, KeyboardInterrupt):
                typer.echo("")
                return
            if not line:
                continue
            body: dict[str, str] = {"conversation_id": conversation}
            if line.isdigit() and 1 <= int(line) <= len(buttons):
                body["payload"] = buttons[int(line) - 1]["payload"]
            else:
                body["text"] = line
            try:
                response = client.post("/api/chat", json=body)
            except httpx.HTTPError as exc:
                typer.echo(f"(cannot reach {base_url}: {exc}; is `make run` running?)")
                continue
            if response.status_code != 200:
                detail = response.json().get("detail", response.text)
                typer.echo(f"({response.status_code}: {detail})")
                continue
            buttons = []
            for message in response.json().get("messages", []):
                if message.get("text"):
                    typer.echo(message["text"])
                for button in message.get("buttons") or []:
                    buttons.append(button)
                    typer.echo(f"  [{len(buttons)}] {button['title']}")
