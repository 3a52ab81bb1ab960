"""Write the Rasa NLU lookup tables and synonyms from the catalogue and the admin-unit data.

``helpdesk bot generate`` writes ``bot/data/generated/*.yml``; the files are committed and a
test regenerates them and compares, so the bot's vocabulary never drifts from its sources:

* ``procedures.yml``: lookup table ``procedure`` (every procedure name and alias, with and
  without diacritics, with common abbreviations such as "dk", "cccd") and one synonym block
  per procedure mapping those spellings to the procedure CODE (the entity value the actions
  expect); see :mod:`botdata.procedures`.
* ``places.yml``: lookup tables ``province``, ``district`` and ``place``, with synonyms for
  provinces and districts; see :mod:`botdata.places`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from botdata.places import PlaceTables
from botdata.procedures import procedure_synonyms
from botdata.render import group, render
from knowledge.catalogue import load_catalogue
from offices.units import LEGACY_FILE, NEW_WARDS_FILE, AdminUnits

PROCEDURES_FILE = "procedures.yml"
PLACES_FILE = "places.yml"


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What ``export_nlu`` wrote and what it had to leave out."""

    files: tuple[Path, ...]
    procedure_keys: int
    ambiguous_procedure_keys: tuple[str, ...]
    province_keys: int
    district_keys: int
    place_keys: int


def export_nlu(catalogue_dir: Path, admin_units_dir: Path, out_dir: Path) -> ExportResult:
    """Write ``procedures.yml`` and ``places.yml`` into ``out_dir``.

    Args:
        catalogue_dir: The procedure catalogue (``knowledge/catalogue``).
        admin_units_dir: The admin-unit data folder (``settings.admin_units_dir``).
        out_dir: Where to write the files (``bot/data/generated``); created if missing.

    Returns:
        The files written and the size of each table.

    Raises:
        CatalogueError: The catalogue does not validate.
        AdminUnitsError: An admin-unit data file is missing or malformed.
    """
    catalogue = load_catalogue(Path(catalogue_dir))
    synonyms, ambiguous = procedure_synonyms(
        (p.code, [p.name, p.name_en], [*p.aliases, *p.aliases_en]) for p in catalogue
    )
    # the names as of 1 July 2025, which the bot's data was built from
    places = PlaceTables.from_units(AdminUnits.from_dir(Path(admin_units_dir), renames=False))

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    procedures_path = out_dir / PROCEDURES_FILE
    procedures_path.write_text(
        render(
            "the procedure catalogue (knowledge/catalogue: name, name_en, aliases, aliases_en)",
            [("procedure", list(synonyms))],
            group(synonyms),
        ),
        encoding="utf-8",
    )
    places_path = out_dir / PLACES_FILE
    unit_files = ", ".join(str(p) for p in (LEGACY_FILE, NEW_WARDS_FILE))
    places_path.write_text(
        render(
            f"the admin-unit data ({unit_files})",
            [
                ("province", list(places.provinces)),
                ("district", list(places.districts)),
                ("place", places.places),
            ],
            {**group(places.provinces), **group(places.districts)},
        ),
        encoding="utf-8",
    )
    return ExportResult(
        files=(procedures_path, places_path),
        procedure_keys=len(synonyms),
        ambiguous_procedure_keys=tuple(ambiguous),
        province_keys=len(places.provinces),
        district_keys=len(places.districts),
        place_keys=len(places.places),
    )
