from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.services import Services, set_services
from helpdesk.settings import PROJECT_ROOT, Settings


@pytest.fixture
def services(tmp_path: Path, real_knowledge) -> Iterator[Services]:
    """Real back end: the bundled catalogue, a fresh SQLite store, the admin-unit data."""
    settings = Settings(
        environment="test",
        var_dir=tmp_path / "var",
        index_dir=tmp_path / "var" / "index",
        database_url=f"sqlite:///{tmp_path / 'helpdesk.db'}",
        admin_units_dir=PROJECT_ROOT / "offices" / "data" / "admin-units",
        service_centers_dir=PROJECT_ROOT / "offices" / "data" / "service-centers",
        _env_file=None,  # type: ignore[call-arg]
    )
    built = Services(settings, overrides={"knowledge": real_knowledge})
    set_services(built)
    yield built
    set_services(None)


async def run_action(action, tracker, domain=None):
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain or {})
    return dispatcher.messages, events
