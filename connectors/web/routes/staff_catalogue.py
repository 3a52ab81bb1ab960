"""Catalogue publishing for admins: upload, review (problems and changes), publish, roll back.

``GET /staff/catalogue`` shows what is live, the releases and the upload form;
``POST /staff/catalogue/upload`` lays the files over the live catalogue, validates and diffs
them and keeps the result as a release; ``GET /staff/catalogue/releases/{id}`` is its report;
``POST .../publish`` builds its index in the background and then makes it live;
``POST /staff/catalogue/rollback`` puts the previous release back. Every step is in the
audit log, written in the transaction of the change (``store/catalogue_releases.py``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from connectors.web.auth import AdminDep
from connectors.web.deps import ClientAddressDep, KnowledgeDep
from connectors.web.pages import local_time, staff_page
from connectors.web.strict_json import StrictJsonRoute
from helpdesk.errors import ReleaseRefused, UploadRejected
from publishing.candidate import MAX_UPLOAD_FILES, Upload
from publishing.live import LiveKnowledge
from publishing.publisher import Publisher
from store.catalogue_releases import SHIPPED, LivePointer, ReleaseInfo

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/staff/catalogue", tags=["staff"], include_in_schema=False, route_class=StrictJsonRoute
)

STATES = {
    "invalid": "Có lỗi, không xuất bản được",
    "staged": "Chờ xuất bản",
    "building": "Đang xây dựng chỉ mục",
    "failed": "Xây dựng chỉ mục không thành công",
    "published": "Đã xuất bản",
}
KINDS = {"added": "Thêm mới", "removed": "Bỏ đi", "changed": "Thay đổi"}
REFRESH_SECONDS = 3


def _publisher(request: Request) -> Publisher:
    publisher: Publisher = request.app.state.publisher
    return publisher


def _live(request: Request) -> LiveKnowledge | None:
    live: LiveKnowledge | None = getattr(request.app.state, "live", None)
    return live


def _release_view(info: ReleaseInfo, live: LivePointer) -> dict[str, Any]:
    return {
        "id": info.id,
        "created_at": local_time(info.created_at),
        "created_by": info.created_by,
        "origin": info.origin,
        "procedures": info.procedures,
        "problems": info.problems,
        "state": info.state,
        "state_text": STATES.get(info.state, info.state),
        "is_live": live.release_id == info.id,
        "published_at": local_time(info.published_at),
        "published_by": info.published_by,
        "build_error": info.build_error,
    }


def _pointer_view(pointer: LivePointer) -> dict[str, Any]:
    return {
        "release_id": pointer.release_id,
        "previous_id": pointer.previous_id,
        "version": pointer.version,
        "changed_at": local_time(pointer.changed_at),
        "changed_by": pointer.changed_by,
    }


@router.get("")
async def catalogue_page(
    request: Request, user: AdminDep, knowledge: KnowledgeDep, error: str = ""
) -> Response:
    publisher = _publisher(request)
    pointer, releases = await asyncio.gather(
        asyncio.to_thread(publisher.releases.live), asyncio.to_thread(publisher.releases.recent)
    )
    live = _live(request)
    context = {
        "pointer": _pointer_view(pointer),
        "serving": live.pointer.version if live is not None else None,
        "procedures": len(knowledge.catalogue),
        "drafts": [
            {"code": code, "name": draft.name}
            for code, draft in sorted(knowledge.catalogue.drafts.items())
        ],
        "releases": [_release_view(info, pointer) for info in releases],
        "max_files": MAX_UPLOAD_FILES,
        "error": error[:300],
    }
    return staff_page(request, "staff/catalogue.html", context)


@router.post("/upload")
async def upload(
    request: Request,
    user: AdminDep,
    client: ClientAddressDep,
    knowledge: KnowledgeDep,
    files: Annotated[list[UploadFile], File()],
) -> Response:
    uploads = [Upload(item.filename or "tep", await item.read()) for item in files if item.filename]
    live = _live(request)
    pointer = live.pointer if live is not None else SHIPPED
    try:
        release_id = await asyncio.to_thread(
            _publisher(request).stage, uploads, knowledge, pointer, user.username, client
        )
    except UploadRejected as exc:
        return await _upload_refused(request, user, knowledge, str(exc))
    return RedirectResponse(f"/staff/catalogue/releases/{release_id}", status_code=303)


@router.post("/drafts")
async def review_drafts(
    request: Request,
    user: AdminDep,
    client: ClientAddressDep,
    knowledge: KnowledgeDep,
    codes: Annotated[list[str], Form(alias="code")],
) -> Response:
    """Stage the live catalogue with the chosen portal drafts turned into entries."""
    live = _live(request)
    pointer = live.pointer if live is not None else SHIPPED
    chosen = [code[:32] for code in codes[:MAX_UPLOAD_FILES]]
    try:
        release_id = await asyncio.to_thread(
            _publisher(request).stage, [], knowledge, pointer, user.username, client, drafts=chosen
        )
    except UploadRejected as exc:
        return await _upload_refused(request, user, knowledge, str(exc))
    return RedirectResponse(f"/staff/catalogue/releases/{release_id}", status_code=303)


async def _upload_refused(request: Request, user: Any, knowledge: Any, message: str) -> Response:
    page = await catalogue_page(request, user, knowledge, error=message)
    page.status_code = 422
    return page


@router.get("/releases/{release_id}")
async def release_page(request: Request, user: AdminDep, release_id: int) -> Response:
    publisher = _publisher(request)
    info, pointer = await asyncio.gather(
        asyncio.to_thread(publisher.releases.get, release_id),
        asyncio.to_thread(publisher.releases.live),
    )
    if info is None:
        return staff_page(
            request, "staff/release_missing.html", {"release_id": release_id}, status_code=404
        )
    report = info.report
    entries = [
        {**entry, "kind_text": KINDS.get(entry["kind"], entry["kind"])}
        for entry in report.get("diff", [])
    ]
    context = {
        "release": _release_view(info, pointer),
        "placed": report.get("placed", []),
        "problems": report.get("problems", []),
        "problem_count": report.get("problem_count", 0),
        "counts": report.get("counts", {}),
        "entries": entries,
        "can_publish": info.state in ("staged", "failed"),
        "building": info.state == "building",
        "serving": _serving_version(request),
        "pointer": _pointer_view(pointer),
    }
    headers = {"Refresh": str(REFRESH_SECONDS)} if info.state == "building" else None
    return staff_page(request, "staff/release.html", context, headers=headers)


def _serving_version(request: Request) -> int | None:
    live = _live(request)
    return live.pointer.version if live is not None else None


@router.post("/releases/{release_id}/publish")
async def publish(
    request: Request, user: AdminDep, client: ClientAddressDep, release_id: int
) -> Response:
    publisher = _publisher(request)
    live = _live(request)
    embedder = live.knowledge.searcher.embedder if live is not None else None
    await asyncio.to_thread(publisher.claim, release_id)  # already claimed or invalid: 409
    task = asyncio.create_task(
        asyncio.to_thread(_publish_quietly, publisher, release_id, user.username, client, embedder)
    )
    tasks: set[asyncio.Task[None]] = request.app.state.__dict__.setdefault("publish_tasks", set())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return RedirectResponse(f"/staff/catalogue/releases/{release_id}", status_code=303)


def _publish_quietly(
    publisher: Publisher, release_id: int, actor: str, client: str | None, embedder: Any
) -> None:
    try:
        publisher.build_and_publish(release_id, actor, client, embedder)
    except Exception:  # the release row says "failed" with the reason; the page shows it
        logger.warning("catalogue: publishing release %d failed", release_id)


@router.post("/rollback")
async def rollback(
    request: Request,
    user: AdminDep,
    client: ClientAddressDep,
    version: Annotated[int, Form()],
) -> Response:
    publisher = _publisher(request)
    live = _live(request)
    embedder = live.knowledge.searcher.embedder if live is not None else None
    try:
        await asyncio.to_thread(publisher.rollback, user.username, client, version, embedder)
    except ReleaseRefused as exc:
        logger.info("catalogue: rollback refused (%s)", exc)
        return RedirectResponse("/staff/catalogue?error=rollback", status_code=303)
    return RedirectResponse("/staff/catalogue", status_code=303)
