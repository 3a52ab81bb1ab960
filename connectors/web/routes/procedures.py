"""The procedure catalogue over HTTP: search and full records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from connectors.web.deps import KnowledgeDep
from connectors.web.errors import error_responses
from helpdesk.errors import InvalidQuery
from knowledge.model import Procedure
from knowledge.search import MAX_QUERY_CHARS

INDEX_UNAVAILABLE = "The procedure index is not loaded"

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


class ProcedureRecord(Procedure):
    """A procedure's full catalogue record, with a province's overrides applied if asked."""

    province: str | None = Field(
        description="The province code asked for (two digits), or null for the national record"
    )
    province_name: str | None = Field(
        description="The name of that province when the catalogue has overrides for it, else null"
    )


@router.get(
    "/search",
    response_model=SearchAnswer,
    responses=error_responses(
        {
            422: f"A question that is empty, only spaces or over {MAX_QUERY_CHARS} characters;"
            " a bad k",
            503: INDEX_UNAVAILABLE,
        }
    ),
)
def search_procedures(
    knowledge: KnowledgeDep,
    q: Annotated[
        str,
        Query(
            description="The citizen's question",
            # checked below, so that every refusal is the domain's InvalidQuery
            json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS},
        ),
    ],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> SearchAnswer:
    """Find the procedures a question is about, and whether the catalogue can answer it."""
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidQuery(
            f"the question is too long ({len(q)} characters; at most {MAX_QUERY_CHARS})"
        )
    result = knowledge.searcher.search(q, k=k)
    hits = [
        SearchHit(code=h.code, name=h.name, name_en=h.name_en, score=h.score) for h in result.hits
    ]
    return SearchAnswer(q=result.query, answerable=result.answerable, results=hits)


@router.get(
    "/{code}",
    response_model=ProcedureRecord,
    responses=error_responses(
        {
            404: "No procedure with this code",
            422: "A province that is not two digits",
            503: INDEX_UNAVAILABLE,
        }
    ),
)
def get_procedure(
    knowledge: KnowledgeDep,
    code: str,
    province: Annotated[
        str | None, Query(pattern=r"^[0-9]{2}$", description="Province code, e.g. 96")
    ] = None,
) -> ProcedureRecord:
    """The full catalogue record of one procedure (with a province's overrides if given)."""
    procedure = knowledge.catalogue.get(code, province)
    return ProcedureRecord.model_validate(
        {
            **procedure.model_dump(),
            "province": province,
            "province_name": knowledge.catalogue.province_name(province),
        }
    )
