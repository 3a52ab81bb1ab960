"""Office finder: old address → new commune/ward (2025 reform), and its service center."""

from offices.centers import CenterContact, CenterDirectory, ProvinceCenters, load_centers
from offices.normalize import Level, PlaceName, UnitKind, fold, normalize
from offices.resolve import Match, Place, Resolution, UnitResolver
from offices.units import AdminUnits, NewWard, OldWard

__all__ = [
    "AdminUnits",
    "CenterContact",
    "CenterDirectory",
    "Level",
    "Match",
    "NewWard",
    "OldWard",
    "Place",
    "PlaceName",
    "ProvinceCenters",
    "Resolution",
    "UnitKind",
    "UnitResolver",
    "fold",
    "load_centers",
    "normalize",
]
