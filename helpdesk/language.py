"""The languages the assistant answers in."""

from __future__ import annotations

from typing import Literal

Lang = Literal["vi", "en"]
"""Vietnamese or English: the ``language`` slot's values and every answer's language."""
