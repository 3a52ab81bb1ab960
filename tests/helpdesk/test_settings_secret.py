"""The install's secret: random per install, kept in var/, never a published default."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from helpdesk.settings import SECRET_FILE, Settings


def _settings(var_dir: Path, **values: object) -> Settings:
    return Settings(var_dir=var_dir, _env_file=None, **values)  # type: ignore[call-arg]


def test_a_random_secret_is_created_once_per_install(tmp_path: Path) -> None:
    first = _settings(tmp_path / "a")
    again = _settings(tmp_path / "a")
    other = _settings(tmp_path / "b")
    secret = first.secret_key.get_secret_value()
    assert len(secret) >= 32
    assert again.secret_key.get_secret_value() == secret  # every process of the install
    assert other.secret_key.get_secret_value() != secret  # every install its own
    path = tmp_path / "a" / SECRET_FILE
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_old_published_default_is_gone(tmp_path: Path) -> None:
    assert _settings(tmp_path).secret_key.get_secret_value() != "dev-only-not-secret"
    with pytest.raises(ValidationError):
        _settings(tmp_path, secret_key="dev-only-not-secret")  # too short to be a real key


def test_production_needs_an_explicit_secret(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="HELPDESK_SECRET_KEY"):
        _settings(tmp_path, environment="production")
    assert not (tmp_path / SECRET_FILE).exists()
    given = "k" * 40
    assert (
        _settings(
            tmp_path, environment="production", secret_key=given
        ).secret_key.get_secret_value()
        == given
    )


def test_internal_tokens_differ_per_door_and_per_install(tmp_path: Path) -> None:
    a, b = _settings(tmp_path / "a"), _settings(tmp_path / "b")
    assert a.internal_token("rasa") != a.internal_token("actions")
    assert a.internal_token("rasa") != b.internal_token("rasa")
    assert a.internal_token("rasa") == _settings(tmp_path / "a").internal_token("rasa")
    assert a.secret_key.get_secret_value() not in a.internal_token("rasa")
