"""The heavy objects actions use (index, record store, resolver), built once per process.

Each part loads on its own: if the database is down, catalogue answers still work, and the
affected actions answer politely instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from helpdesk.errors import HelpdeskError, StoreUnavailable
from helpdesk.settings import Settings, get_settings

if TYPE_CHECKING:  # the parts load heavy libraries: imported when first built, not here
    from sqlalchemy.orm import Session, sessionmaker

    from knowledge.service import Knowledge
    from offices import CenterDirectory, UnitResolver
    from publishing.live import CatalogueWatcher, LiveKnowledge
    from store.factors import FactorVault
    from store.lookup import RecordLookup

logger = logging.getLogger(__name__)


class PartUnavailable(HelpdeskError):
    """A part of the back end (index, database, admin units) could not be loaded."""


T = TypeVar("T")


@dataclass
class Services:
    """Lazily-built back-end parts; tests pass ready-made parts in ``overrides``."""

    settings: Settings
    # a ready-made part by name ("knowledge", "sessions", ...); typed by its property
    overrides: dict[str, Any] = field(default_factory=dict)

    def _build(self, name: str, builder: Callable[[], T]) -> T:
        if name in self.overrides:
            part: T = self.overrides[name]
            return part
        try:
            return builder()
        except Exception as exc:  # any failure: report one clear reason, never a traceback
            logger.exception("could not load %s", name)
            raise PartUnavailable(f"{name} is unavailable") from exc

    @property
    def knowledge(self) -> Knowledge:
        """The live catalogue; a newly published release replaces it (:meth:`follow_catalogue`)."""
        if "knowledge" in self.overrides:
            part: Knowledge = self.overrides["knowledge"]
            return part
        live = self.__dict__.get("_live")
        if live is None:
            live = self._build("knowledge", self._open_live)
            self.__dict__["_live"] = live
        knowledge: Knowledge = live.knowledge
        return knowledge

    def _releases(self) -> Any:
        from store.catalogue_releases import CatalogueReleases

        try:
            return CatalogueReleases(self.sessions)
        except (PartUnavailable, StoreUnavailable):
            return None  # the shipped catalogue, until the database is back

    def _open_live(self) -> LiveKnowledge:
        from publishing.live import open_live

        return open_live(self.settings, self._releases())

    def follow_catalogue(self) -> CatalogueWatcher | None:
        """Start swapping to each newly published catalogue release (None: cannot follow)."""
        from publishing.live import CatalogueWatcher

        releases = self._releases()
        if "knowledge" in self.overrides or releases is None:
            return None
        if self.settings.catalogue_poll_seconds <= 0:
            return None

        def swap(new: LiveKnowledge) -> None:
            self.__dict__["_live"] = new

        watcher = CatalogueWatcher(
            self.settings,
            releases,
            lambda: self.__dict__.get("_live"),
            swap,
            self.settings.catalogue_poll_seconds,
        )
        watcher.start()
        return watcher

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        def build() -> sessionmaker[Session]:
            from store.db import make_engine, make_session_factory, migrate

            engine = make_engine(self.settings.database_url)
            migrate(engine)
            return make_session_factory(engine)

        return self._build("sessions", build)

    @cached_property
    def lookup(self) -> RecordLookup:
        def build() -> RecordLookup:
            from store.lookup import RecordLookup

            return RecordLookup(self.sessions, self.settings)

        return self._build("lookup", build)

    @cached_property
    def vault(self) -> FactorVault:
        def build() -> FactorVault:
            from store.factors import FactorVault

            return FactorVault(self.sessions, self.settings.secret_key.get_secret_value())

        return self._build("vault", build)

    @cached_property
    def resolver(self) -> UnitResolver:
        def build() -> UnitResolver:
            from offices import UnitResolver

            return UnitResolver.from_dir(self.settings.admin_units_dir)

        return self._build("resolver", build)

    @cached_property
    def centers(self) -> CenterDirectory:
        def build() -> CenterDirectory:
            from offices import CenterDirectory

            return CenterDirectory.from_dir(
                self.settings.service_centers_dir, self.settings.hotline, self.resolver.units
            )

        return self._build("centers", build)

    def warm_up(self) -> None:
        """Load every part now (at server start) so the first citizen does not wait."""
        for name in ("knowledge", "lookup", "vault", "resolver", "centers"):
            try:
                getattr(self, name)
            except (PartUnavailable, StoreUnavailable):
                logger.warning("%s unavailable at start-up; will retry on first use", name)
                self.__dict__.pop("_live" if name == "knowledge" else name, None)


_services: Services | None = None


def get_services() -> Services:
    """The process-wide services (built on first use, never at import)."""
    global _services
    if _services is None:
        _services = Services(get_settings())
    return _services


def set_services(services: Services | None) -> None:
    """Replace the process-wide services (tests, or a server with its own settings)."""
    global _services
    _services = services
