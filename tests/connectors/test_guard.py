"""Nothing personal reaches Rasa: factors become one-time tokens, numbers are masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.errors import MessageTooLong
from connectors.guard import ConversationGuard, guard_for
from connectors.rasa_client import RasaClient
from helpdesk.settings import Settings
from store.db import make_engine, make_session_factory
from store.factors import FactorVault

ASK = [
    {"recipient_id": "x", "text": "4 số cuối?"},
    {"recipient_id": "x", "custom": {"expect": "verification"}},
]
PLAIN = [{"recipient_id": "x", "text": "Vâng."}]


class FakeRasa:
    """Records what Rasa would receive; answers with ``next`` (then plain text)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.next: list[dict[str, Any]] = PLAIN

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(json.loads(request.content))
        answer, self.next = self.next, PLAIN
        return httpx.Response(200, json=answer)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        var_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'h.db'}",
        rasa_url="http://rasa.test",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def engine(settings: Settings):
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def _client(settings: Settings, engine, fake: FakeRasa) -> RasaClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    return RasaClient.from_settings(http, settings, guard_for(settings, engine))


def _vault(settings: Settings, engine) -> FactorVault:
    return FactorVault(make_session_factory(engine), settings.secret_key.get_secret_value())


async def test_a_factor_reaches_rasa_as_a_one_time_token(settings, engine) -> None:
    fake = FakeRasa()
    rasa = _client(settings, engine, fake)
    fake.next = ASK
    messages = await rasa.send("web-c1", "tra cứu hồ sơ 000.00.12.H12-250701-0001")
    assert [m.text for m in messages] == ["4 số cuối?"]  # the marker is not shown
    await rasa.send("web-c1", "4 số cuối là 4821")
    sent = fake.received[-1]["message"]
    assert "4821" not in sent and sent.startswith('/give_verification{"verification_token":"ft_')
    token = json.loads(sent[len("/give_verification") :])["verification_token"]
    assert _vault(settings, engine).redeem(token, "web-c1") == "4821"
    # the bot did not ask again: the next 4 digits are an ordinary number (a year)
    await rasa.send("web-c1", "2025")
    assert fake.received[-1]["message"] == "2025"


async def test_a_near_miss_and_a_whole_phone_number_never_reach_rasa(settings, engine) -> None:
    fake = FakeRasa()
    rasa = _client(settings, engine, fake)
    fake.next = ASK
    await rasa.send("web-c2", "tra cứu")
    fake.next = ASK
    await rasa.send("web-c2", "48215")
    assert fake.received[-1]["message"] == "***"
    await rasa.send("web-c2", "0912 345 678")
    sent = fake.received[-1]["message"]
    assert "0912" not in sent and "678" not in sent and "verification_token" in sent


async def test_phone_and_id_numbers_are_masked_in_any_message(settings, engine) -> None:
    fake = FakeRasa()
    rasa = _client(settings, engine, fake)
    await rasa.send("tg-77", "số tôi 0912345678, cccd 079123456789, làm khai sinh")
    assert fake.received[-1]["message"] == "số tôi ***, cccd ***, làm khai sinh"
    await rasa.send("tg-77", '/give_place{"place":"0912345678"}')
    assert "0912345678" not in fake.received[-1]["message"]
    assert "metadata" not in fake.received[-1]
    await rasa.send("tg-77", "chào", source="abc123")
    assert fake.received[-1]["metadata"] == {"source": "abc123"}


async def test_the_wait_for_a_factor_is_shared_by_replicas(settings, engine) -> None:
    fake = FakeRasa()
    first, second = _client(settings, engine, fake), _client(settings, engine, fake)
    fake.next = ASK
    await first.send("web-c3", "tra cứu hồ sơ")
    await second.send("web-c3", "1234")
    assert "verification_token" in fake.received[-1]["message"]
    # the second replica saw the wait end: the first one does not protect "1234" any more
    await first.send("web-c3", "1234")
    assert fake.received[-1]["message"] == "1234"


async def test_every_channel_gets_the_same_cap(settings, engine) -> None:
    fake = FakeRasa()
    rasa = _client(settings, engine, fake)
    with pytest.raises(MessageTooLong):
        await rasa.send("tg-1", "a" * (settings.max_message_chars + 1))
    assert fake.received == []


async def test_rasa_is_called_with_the_install_token(settings, engine) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    rasa = RasaClient.from_settings(http, settings, guard_for(settings, engine))
    await rasa.send("web-c4", "xin chào")
    assert seen[0].url.path == "/webhooks/gateway/webhook"
    assert seen[0].headers["authorization"] == f"Bearer {settings.internal_token('rasa')}"


async def test_without_the_database_anything_like_a_factor_is_hidden(tmp_path) -> None:
    settings = Settings(
        environment="test",
        var_dir=tmp_path,
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        _env_file=None,  # type: ignore[call-arg]
    )
    engine = make_engine(settings.database_url)
    guard = ConversationGuard(_vault(settings, engine))
    assert await guard.inbound("web-c5", "4 số cuối 4821, 10 trang") == "4 số cuối ***, 10 trang"
    await guard.outbound("web-c5", ASK)  # logged, not raised
    engine.dispose()


async def test_a_button_pressed_while_a_factor_is_awaited_ends_the_wait(settings, engine) -> None:
    fake = FakeRasa()
    first, second = _client(settings, engine, fake), _client(settings, engine, fake)
    fake.next = ASK
    await first.send("web-c6", "tra cứu hồ sơ")
    # the citizen presses a button instead, on another replica: the wait ends everywhere
    await second.send("web-c6", "/human_handoff")
    assert fake.received[-1]["message"] == "/human_handoff"
    await first.send("web-c6", "2025")
    assert fake.received[-1]["message"] == "2025"


async def test_an_abandoned_wait_leaves_nothing_in_the_process(settings, engine) -> None:
    fake = FakeRasa()
    rasa = _client(settings, engine, fake)
    for n in range(20):
        fake.next = ASK
        await rasa.send(f"web-gone{n}", "tra cứu hồ sơ")  # asked, never answered
    assert rasa._guard._awaiting == set()  # type: ignore[union-attr]
