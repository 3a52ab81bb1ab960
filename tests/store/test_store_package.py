"""The package's public names resolve, lazily."""

from __future__ import annotations

import pytest

import store


def test_every_public_name_resolves() -> None:
    for name in store.__all__:
        assert getattr(store, name) is not None
    assert store.RecordLookup.__module__ == "store.lookup"


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = store.no_such_thing  # type: ignore[attr-defined]
