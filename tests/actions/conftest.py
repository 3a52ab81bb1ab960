from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.services import Services, set_services
from helpdesk.settings import PROJECT_ROOT, Settings


def back_end_settings(folder: Path) -> Settings:
    """Settings of a real back end in ``folder``: a fresh SQLite store, the admin-unit data."""
    return Settings(
        environment="test",
        var_dir=folder / "var",
        index_dir=folder / "var" / "index",
        database_url=f"sqlite:///{folder / 'helpdesk.db'}",
        admin_units_dir=PROJECT_ROOT / "offices" / "data" / "admin-units",
        service_centers_dir=PROJECT_ROOT / "offices" / "data" / "service-centers",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def services(tmp_path: Path, real_knowledge) -> Iterator[Services]:
    """Real back end: the bundled catalogue, a fresh SQLite store, the admin-unit data."""
    built = Services(back_end_settings(tmp_path), overrides={"knowledge": real_knowledge})
    set_services(built)
    yield built
    set_services(None)


async def run_action(action, tracker, domain=None):
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain or {})
    return dispatcher.messages, events
