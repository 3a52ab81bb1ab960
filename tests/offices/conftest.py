"""Fixtures for the office finder: the real shipped data, loaded once per run."""

from __future__ import annotations

from pathlib import Path

import pytest

from offices.resolve import UnitResolver
from offices.units import AdminUnits

PACKAGE = Path(__file__).resolve().parents[2] / "offices"
ADMIN_UNITS = PACKAGE / "data" / "admin-units"
SERVICE_CENTERS = PACKAGE / "data" / "service-centers"


@pytest.fixture(scope="session")
def resolver() -> UnitResolver:
    return UnitResolver.from_dir(ADMIN_UNITS)


@pytest.fixture(scope="session")
def units(resolver: UnitResolver) -> AdminUnits:
    return resolver.units
