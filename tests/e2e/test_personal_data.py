"""Nothing personal is kept: a whole lookup conversation through the gateway, then every store.

The citizen talks to the real gateway (in process), which relays to a running Rasa and action
server. Afterwards Rasa's tracker database, the handoff notes and every log line are searched
for the second factor and for the full phone and ID numbers the citizen typed.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text as sql_text

from helpdesk.messages import text as message
from store.db import make_engine, make_session_factory
from store.handoff import open_handoffs
from store.status import RecordStatus
from tests.e2e.conftest import Assistant, Gateway

pytestmark = pytest.mark.rasa

PHONE = "0912345678"
CITIZEN_ID = "079123456789"
TOKEN = re.compile(r"ft_[A-Za-z0-9_-]{43}")


def chat(gateway: Gateway, conversation: str, text: str) -> str:
    return gateway.text(conversation, text)


def _standalone(digits: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![0-9A-Za-z]){digits}(?![0-9A-Za-z])")


def _strings(value: object, key: str = "") -> Iterator[str]:
    """Every string in a tracker event, except its timestamps and ids."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str) and key not in {"timestamp", "message_id", "sender_id"}:
        yield TOKEN.sub("<token>", value)


def tracker_texts(assistant: Assistant) -> list[str]:
    path = Path(assistant.settings.var_dir) / "rasa-tracker.db"
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT data FROM events").fetchall()
    assert rows, "the tracker store is empty: the conversation was not stored where expected"
    return [s for (data,) in rows for s in _strings(json.loads(data))]


def test_a_lookup_conversation_leaves_no_factor_or_number_anywhere(
    assistant: Assistant, gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    record = next(r for r in assistant.demo.records if r.status is RecordStatus.RESULT_READY)
    wrong = next(
        d for d in ("1357", "2468", "8642") if d not in (record.phone_last4, record.id_last4)
    )
    conversation = f"e2e{uuid.uuid4().hex[:12]}"

    assert "mã" in chat(gateway, conversation, "tôi muốn tra cứu tình trạng hồ sơ").lower()
    assert "4 số cuối" in chat(gateway, conversation, record.code)
    not_found = chat(gateway, conversation, f"4 số cuối là {wrong}")
    assert "gõ lại 4 số cuối" in not_found
    # the citizen types the right digits for the same code: no new record code asked
    answer = chat(gateway, conversation, record.phone_last4)
    assert message("record.status.result_ready.label", "vi").lower() in answer.lower()
    assert record.phone_last4 not in answer
    chat(gateway, conversation, f"số điện thoại của tôi là {PHONE}, căn cước {CITIZEN_ID}")
    chat(gateway, conversation, "chứng thực bản sao hết bao nhiêu tiền")
    chat(gateway, conversation, "gặp cán bộ")

    # a second citizen types the whole phone number when asked for the last 4 digits
    other = f"e2e{uuid.uuid4().hex[:12]}"
    chat(gateway, other, "tra cứu hồ sơ")
    chat(gateway, other, record.code)
    whole = chat(gateway, other, "0912 345 " + record.phone_last4[-3:].rjust(3, "0"))
    assert whole  # answered (found or not), never an error

    secrets = [_standalone(d) for d in (record.phone_last4, wrong)]
    secrets += [re.compile(PHONE), re.compile(CITIZEN_ID), re.compile("0912 345")]

    texts = tracker_texts(assistant)
    assert any("chứng thực" in t for t in texts)  # the scan reads the real conversation
    for text in texts:
        for secret in secrets:
            assert not secret.search(text), (secret.pattern, text)

    gateway.client.app.state.turn_recorder.flush()  # type: ignore[attr-defined]
    engine = make_engine(assistant.settings.database_url)
    try:
        notes = [n.note for n in open_handoffs(make_session_factory(engine))]
        with engine.connect() as conn:  # the live handoff's transcript (in or out of hours)
            kept = [row[0] for row in conn.execute(sql_text("SELECT text FROM handoff_messages"))]
            # the analytics' turns, every column
            turns = [
                " ".join(str(value) for value in row)
                for row in conn.execute(sql_text("SELECT * FROM turns"))
            ]
    finally:
        engine.dispose()
    assert notes
    assert len(turns) >= 9, turns  # the turns of both conversations were recorded
    for note in [*notes, *kept, *turns]:
        assert record.code not in note
        for secret in secrets:
            assert not secret.search(note), (secret.pattern, note)

    logs = [caplog.text]
    for name in ("rasa.log", "actions.log"):
        path = Path(assistant.settings.var_dir) / name
        if path.exists():
            logs.append(path.read_text(errors="replace"))
    assert len(logs) == 3, "the services' logs were not found"
    for log in logs:
        for secret in secrets:
            assert not secret.search(TOKEN.sub("<token>", log)), secret.pattern


def test_a_bare_number_of_pages_answers_the_fee(assistant: Assistant, gateway: Gateway) -> None:
    conversation = f"e2e{uuid.uuid4().hex[:12]}"
    first = chat(gateway, conversation, "chứng thực bản sao hết bao nhiêu tiền")
    assert "2.000815" in first
    for reply, total in (("5", "5 trang"), ("10 trang", "10 trang")):
        answer = chat(gateway, conversation, reply)
        assert total in answer and "2.000815" in answer, answer
    english = f"e2e{uuid.uuid4().hex[:12]}"
    chat(gateway, english, "how much is a certified copy")
    assert "5 page" in chat(gateway, english, "5 pages")
