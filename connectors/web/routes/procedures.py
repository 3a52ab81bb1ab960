"""The procedure catalogue over HTTP: search and full records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from connectors.web.deps import KnowledgeDep

router = APIRouter(prefix="/api/procedures", tags=["procedures"])


class SearchHit(BaseModel):
    code: str
    name: str
    name_en: str
    score: float


class SearchAnswer(BaseModel):
    q: str
    answerable: bool
    results: list[SearchHit]


@router.get("/search", response_model=SearchAnswer)
def search_procedures(
    knowledge: KnowledgeDep,
    q: Annotated[str, Query(max_length=2000, description="The citizen's question")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> SearchAnswer:
    """Find the procedures a question is about, and whether the catalogue can answer it."""
    result = knowledge.searcher.search(q, k=k)
    hits = [
        SearchHit(code=h.code, name=h.name, name_en=h.name_en, score=h.score) for h in result.hits
    ]
    return SearchAnswer(q=result.query, answerable=result.answerable, results=hits)


@router.get("/{code}")
def get_procedure(
    knowledge: KnowledgeDep,
    code: str,
    province: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
) -> dict[str, Any]:
    """The full catalogue record of one procedure (with a province's overrides if given)."""
    procedure = knowledge.catalogue.get(code, province)
    record: dict[str, Any] = procedure.model_dump(mode="json")
    record["province"] = province
    record["province_name"] = knowledge.catalogue.province_name(province)
    return record
