"""Every action and every form validation answers politely when a part of the back end is down.

The actions are those the action server registers (rasa-sdk's executor over the ``actions``
package): a new one must be listed in ``CASES`` with a conversation that reaches the parts
it uses, or these tests fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.base import PoliteAction
from actions.server import selective_domain_executor
from actions.services import PartUnavailable, Services, set_services
from helpdesk.messages import text
from helpdesk.settings import PROJECT_ROOT
from tests.actions.conftest import back_end_settings
from tests.factories import make_tracker

UNREACHABLE_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none"
DATABASE_PARTS = frozenset({"sessions", "lookup", "vault"})
PARTS = ("knowledge", "sessions", "lookup", "vault", "resolver", "centers")
SCENARIOS = (*PARTS, "unreachable-database")
PROCEDURE = "1.004873"
PLACE = "phường 1 quận 3 tp hcm"


def registered_actions() -> dict[str, Any]:
    """The action server's actions by name (as ``actions.server`` registers them)."""
    executor = selective_domain_executor()
    executor.register_package("actions")
    return {
        name: run
        for name, run in executor.actions.items()
        if type(run.__self__).__module__.startswith("actions.")
    }


def _with_slot_candidate(tracker: Any, slot: str, value: str) -> Any:
    """The tracker as Rasa sends it to a form validation: the candidate value set last."""
    tracker.events.append({"event": "slot", "name": slot, "value": value})
    tracker.slots[slot] = value
    return tracker


def _record_status(token: str) -> Any:
    return make_tracker(
        '/give_verification{"verification_token":"' + token + '"}',
        intent="give_verification",
        slots={"record_code": "000.00.12.H12-250701-0001", "verification": token},
    )


# name -> (the parts its answer needs, the conversation); ``token`` is a fresh factor token
CASES: dict[str, tuple[frozenset[str], Callable[[str], Any]]] = {
    **{
        f"action_answer_{topic}": (
            frozenset({"knowledge"}),
            lambda _token: make_tracker("đăng ký khai sinh", intent="ask_documents"),
        )
        for topic in ("procedure", "documents", "fee", "time", "where", "online")
    },
    "action_answer_page_count": (
        frozenset({"knowledge"}),
        lambda _token: make_tracker(
            "5 trang", intent="give_page_count", slots={"procedure": PROCEDURE}
        ),
    ),
    "action_choose_procedure": (
        frozenset({"knowledge"}),
        lambda _token: make_tracker(
            '/choose_procedure{"procedure":"' + PROCEDURE + '"}',
            intent="choose_procedure",
            entities=[{"entity": "procedure", "value": PROCEDURE}],
            slots={"topic": "fee"},
        ),
    ),
    "action_fallback_search": (
        frozenset({"knowledge"}),
        lambda _token: make_tracker("khai sinh cho con", intent="nlu_fallback"),
    ),
    "action_check_record_status": (DATABASE_PARTS, _record_status),
    "validate_record_status_form": (
        frozenset(),  # parsing a code needs no part
        lambda _token: _with_slot_candidate(
            make_tracker("000.00.12.H12-250701-0001", intent="give_record_code"),
            "record_code",
            "000.00.12.H12-250701-0001",
        ),
    ),
    "validate_office_form": (
        frozenset({"resolver"}),
        lambda _token: _with_slot_candidate(
            make_tracker(PLACE, intent="give_place"), "place", PLACE
        ),
    ),
    "action_find_office": (
        frozenset({"resolver", "centers"}),
        lambda _token: make_tracker(PLACE, intent="give_place", slots={"place": PLACE}),
    ),
    # the hotline is the answer itself: it is given even when the note cannot be stored
    "action_handoff": (
        frozenset(),
        lambda _token: make_tracker("cho tôi gặp cán bộ", intent="human_handoff"),
    ),
    "action_feedback": (
        frozenset({"sessions"}),
        lambda _token: make_tracker(
            '/feedback{"rating":"up"}',
            intent="feedback",
            entities=[{"entity": "rating", "value": "up"}],
        ),
    ),
    "action_set_language": (
        frozenset(),
        lambda _token: make_tracker("english please", intent="set_language"),
    ),
}


class Down:
    """A part that could not be loaded: every use raises :class:`PartUnavailable`."""

    def __init__(self, part: str) -> None:
        self._part = part

    def __getattr__(self, name: str) -> Any:
        raise PartUnavailable(f"{self._part} is unavailable")

    def __call__(self, *args: object, **kwargs: object) -> Any:
        raise PartUnavailable(f"{self._part} is unavailable")


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "bot" / "domain.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory, real_knowledge: object) -> Services:
    """Every part up, loaded once; each test takes one of them down."""
    folder: Path = tmp_path_factory.mktemp("parts-down")
    services = Services(back_end_settings(folder), overrides={"knowledge": real_knowledge})
    for part in PARTS:
        getattr(services, part)
    return services


def _with_part_down(healthy: Services, scenario: str) -> Services:
    parts = {part: getattr(healthy, part) for part in ("knowledge", "resolver", "centers")}
    if scenario == "unreachable-database":
        settings = healthy.settings.model_copy(update={"database_url": UNREACHABLE_DATABASE})
        return Services(settings, overrides=parts)
    # the database parts are built from "sessions", as in production
    return Services(
        healthy.settings,
        overrides={"sessions": healthy.sessions, **parts, scenario: Down(scenario)},
    )


@pytest.fixture
def unset_services() -> Iterator[None]:
    yield
    set_services(None)


def test_every_registered_action_is_covered_and_polite() -> None:
    registered = registered_actions()
    assert set(registered) == set(CASES)
    for name, run in registered.items():
        assert isinstance(run.__self__, PoliteAction), name


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_part_down_gets_the_polite_answer(
    name: str, scenario: str, healthy: Services, domain: dict[str, Any], unset_services: None
) -> None:
    needs, conversation = CASES[name]
    tracker = conversation(healthy.vault.issue("conversation-1", "1234"))
    services = _with_part_down(healthy, scenario)
    set_services(services)
    dispatcher = CollectingDispatcher()
    run = registered_actions()[name]

    events = await run(dispatcher, tracker, domain)

    # the last item says what the turn was, for the analytics (no channel shows it)
    turn = dispatcher.messages[-1]["custom"]["turn"]
    texts = [m.get("text") or "" for m in dispatcher.messages[:-1]]
    unavailable = text("chat.busy", "vi", **healthy.settings.hotline_values("vi"))
    down = DATABASE_PARTS if scenario == "unreachable-database" else {scenario}
    if needs & down:
        assert texts == [unavailable]
        assert turn["answered"] is False
        slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        if name.startswith("validate_"):
            # what could not be checked is not kept: the form asks for it again
            assert slots and all(value is None for value in slots.values())
        else:
            assert events == []
    else:
        assert unavailable not in texts
        assert texts or name.startswith("validate_")
