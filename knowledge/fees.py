"""Fee arithmetic: page-priced charges with tiers and a per-copy cap."""

from __future__ import annotations

from knowledge.model import Fee, FeeUnit


def page_fee(fee: Fee, pages: int, copies: int = 1) -> int:
    """Total VND for ``copies`` copies of a ``pages``-page document.

    Example (certified copies, Thông tư 226/2016/TT-BTC): 2,000 VND for each of pages 1–2,
    1,000 VND from page 3, at most 200,000 VND per copy.
    """
    if pages < 1 or copies < 1:
        raise ValueError("pages and copies must be at least 1")
    if fee.unit is not FeeUnit.PER_PAGE:
        raise ValueError("not a page-priced fee")
    tiers = fee.page_tiers
    per_copy = 0
    if tiers:
        bounds = [t.from_page for t in tiers[1:]] + [pages + 1]
        for tier, end in zip(tiers, bounds, strict=True):
            counted = max(0, min(pages + 1, end) - tier.from_page)
            per_copy += counted * tier.amount
    elif fee.amount is not None:
        per_copy = pages * fee.amount
    if fee.cap is not None:
        per_copy = min(per_copy, fee.cap)
    return per_copy * copies


def is_page_priced(fee: Fee) -> bool:
    return fee.unit is FeeUnit.PER_PAGE and (bool(fee.page_tiers) or fee.amount is not None)


def vnd(amount: int) -> str:
    """Vietnamese money format: 200.000 đồng."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def vnd_en(amount: int) -> str:
    return f"{amount:,} VND"
