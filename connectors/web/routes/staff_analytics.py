"""What citizens ask, for staff: ``GET /staff/analytics`` (the dashboard) and its tables as CSV.

The page shows, for the last 7 or 30 days (``?days=``): messages per day and channel, the
procedures asked about most, the share of conversations the bot handled without a person
(containment) and of questions it answered, satisfaction against the 95 % target, the median
response time, waits for an officer, and the work queue of questions the bot did not answer
or was unsure of. Every table is also ``GET /staff/analytics/<table>.csv``. Charts are drawn
by the page's own script (``static/analytics.js``) with Chart.js, served by the gateway
(``static/vendor/``); their figures travel in a JSON block, never in inline script.

An admin adds a question of the work queue as an alias of a procedure in one click
(``POST /staff/analytics/alias``): the live file of that procedure, with the alias appended,
is staged as a catalogue release, and the admin lands on its review page to publish it.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from connectors.web.auth import AdminDep, StaffDep, staff_sessions
from connectors.web.deps import ClientAddressDep, KnowledgeDep
from connectors.web.pages import STAFF_HEADERS, local_time, staff_page
from connectors.web.strict_json import StrictJsonRoute
from helpdesk.errors import UploadRejected
from knowledge.service import Knowledge
from publishing.aliases import alias_upload
from publishing.live import LiveKnowledge, catalogue_dir_for
from publishing.publisher import Publisher
from store.analytics import (
    LOW_CONFIDENCE,
    PERIODS,
    SATISFACTION_TARGET,
    ChannelFigures,
    Dashboard,
    DayCount,
    HandoffWaits,
    Period,
    ProcedureCount,
    QueueItem,
    SatisfactionDay,
    channel_figures,
    daily_counts,
    dashboard,
    handoff_waits,
    latency_counts,
    satisfaction_days,
    top_procedures,
    work_queue,
)
from store.catalogue_releases import SHIPPED
from store.personal import MASK
from store.status import VN_TZ

router = APIRouter(
    prefix="/staff/analytics", tags=["staff"], include_in_schema=False, route_class=StrictJsonRoute
)

CHANNELS = {
    "web": "Trang web",
    "telegram": "Telegram",
    "zalo": "Zalo",
    "messenger": "Messenger",
    "other": "Khác",
}
LANGUAGES = {"vi": "Tiếng Việt", "en": "Tiếng Anh"}
MAX_ALIAS_CHARS = 200
ALIAS_ERRORS = {
    "empty": "Chưa có câu để thêm làm cách gọi khác.",
    "masked": "Câu còn phần bị che (***): sửa lại cho rõ rồi thêm.",
    "long": f"Cách gọi khác dài quá {MAX_ALIAS_CHARS} ký tự.",
    "procedure": "Không có thủ tục với mã này trong danh mục đang dùng.",
    "known": "Thủ tục này đã có cách gọi khác này.",
    "file": "Không đọc được tệp của thủ tục này để thêm cách gọi khác.",
}


# --- cells: one value, shown on the page in Vietnamese, written raw to CSV ---------------------


@dataclass(frozen=True, slots=True)
class Share:
    """A proportion (0–1): ``96,2 %`` on the page, ``96.2`` in CSV."""

    value: float | None


@dataclass(frozen=True, slots=True)
class Millis:
    """A response time in milliseconds: ``1,2 giây`` on the page, whole ms in CSV."""

    value: float | None


Cell = str | int | date | datetime | timedelta | Share | Millis | None


def _number(value: float, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _duration(value: timedelta) -> str:
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{seconds} giây"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} phút {seconds} giây" if seconds else f"{minutes} phút"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} giờ {minutes} phút"


def shown(cell: Cell) -> str:
    """A cell as the page shows it."""
    if isinstance(cell, Share | Millis):
        value = cell.value
        if value is None:
            return "—"
        if isinstance(cell, Share):
            return _number(value * 100, 1) + " %"
        return f"{_number(value)} ms" if value < 1000 else _number(value / 1000, 1) + " giây"
    match cell:
        case None:
            return "—"
        case int():
            return _number(cell)
        case datetime():
            return local_time(cell)
        case date():
            return cell.strftime("%d/%m/%Y")
        case timedelta():
            return _duration(cell)
        case _:
            return str(cell)


def numeric(cell: Cell) -> bool:
    """Whether a cell is a figure (right-aligned on the page)."""
    return isinstance(cell, int | timedelta | Share | Millis)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def raw(cell: Cell) -> str | int | float:
    """A cell as CSV holds it; text that a spreadsheet would run as a formula gets a ``'``."""
    if isinstance(cell, Share | Millis):
        if cell.value is None:
            return ""
        return round(cell.value * 100, 1) if isinstance(cell, Share) else round(cell.value)
    match cell:
        case None:
            return ""
        case datetime():
            return cell.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M")
        case date():
            return cell.isoformat()
        case timedelta():
            return round(cell.total_seconds())
        case int():
            return cell
        case str() if cell.startswith(_FORMULA_START):
            return "'" + cell
        case _:
            return str(cell)


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the dashboard: its name (the CSV's), title, columns and rows."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([raw(cell) for cell in row])
        return "\ufeff" + buffer.getvalue()  # the BOM: spreadsheets read the accents right


# --- the tables ------------------------------------------------------------------------------


def channels_of(daily: Sequence[DayCount]) -> list[str]:
    """The channels of the daily table: the widget and Telegram always, others once used."""
    used = {d.channel for d in daily}
    known = [name for name in CHANNELS if name in used or name in ("web", "telegram")]
    return known + sorted(used - set(CHANNELS))


def daily_table(period: Period, daily: Sequence[DayCount]) -> Table:
    by_day: dict[tuple[date, str], int] = {(d.day, d.channel): d.turns for d in daily}
    channels = channels_of(daily)
    rows: list[tuple[Cell, ...]] = []
    for day in period.dates():
        counts = [by_day.get((day, channel), 0) for channel in channels]
        rows.append((day, *counts, sum(counts)))
    columns = ("Ngày", *(CHANNELS.get(c, c) for c in channels), "Tổng")
    return Table("daily", "Tin nhắn mỗi ngày theo kênh", columns, rows)


def _procedure_name(knowledge: Knowledge | None, code: str) -> str:
    if knowledge is None or code not in knowledge.catalogue:
        return ""
    return knowledge.catalogue.procedures[code].name


def procedures_table(procedures: Sequence[ProcedureCount], knowledge: Knowledge | None) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (p.code, _procedure_name(knowledge, p.code), p.asked, Share(p.answered / p.asked))
        for p in procedures
    ]
    columns = ("Mã thủ tục", "Tên thủ tục", "Lượt hỏi", "Bot trả lời được (%)")
    return Table("procedures", "Thủ tục được hỏi nhiều nhất", columns, rows)


def queue_table(queue: Sequence[QueueItem]) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            item.question,
            LANGUAGES.get(item.language or "", ""),
            item.asked,
            item.unanswered,
            item.low_confidence,
            Share(item.confidence),
            item.procedure,
            item.last_at,
        )
        for item in queue
    ]
    columns = (
        "Câu hỏi",
        "Ngôn ngữ",
        "Số lần hỏi",
        "Chưa trả lời",
        "Bot chưa chắc",
        "Độ tin cậy trung bình (%)",
        "Thủ tục gợi ý",
        "Lần hỏi gần nhất",
    )
    return Table("queue", "Câu hỏi bot chưa trả lời hoặc chưa chắc", columns, rows)


def channels_table(channels: Sequence[ChannelFigures]) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            CHANNELS.get(c.channel, c.channel),
            c.turns,
            c.conversations,
            c.questions,
            Share(c.answer_rate),
            c.handed_off,
            Millis(c.median_ms),
        )
        for c in channels
    ]
    columns = (
        "Kênh",
        "Tin nhắn",
        "Cuộc trò chuyện",
        "Câu hỏi",
        "Bot trả lời được (%)",
        "Chuyển cán bộ",
        "Thời gian trả lời, trung vị (ms)",
    )
    return Table("channels", "Theo kênh", columns, rows)


def satisfaction_table(days: Sequence[SatisfactionDay]) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            d.day,
            d.ratings,
            d.satisfied,
            Share(d.share),
            "đạt" if (d.share or 0) >= SATISFACTION_TARGET else "chưa đạt",
        )
        for d in days
    ]
    columns = ("Ngày", "Lượt đánh giá", "Hài lòng", "Tỷ lệ hài lòng (%)", "Mục tiêu 95 %")
    return Table("satisfaction", "Mức hài lòng theo ngày", columns, rows)


def handoffs_table(waits: HandoffWaits) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (d.day, d.requests, d.claimed, d.after_hours, d.median_wait, d.longest_wait)
        for d in waits.days
    ]
    columns = (
        "Ngày",
        "Yêu cầu gặp cán bộ",
        "Cán bộ đã nhận",
        "Ngoài giờ làm việc",
        "Chờ, trung vị (giây)",
        "Chờ lâu nhất (giây)",
    )
    return Table("handoffs", "Chờ cán bộ theo ngày (trong giờ làm việc)", columns, rows)


TABLES: dict[str, Callable[[Session, Period, Knowledge | None], Table]] = {
    "daily": lambda s, p, k: daily_table(p, daily_counts(s, p)),
    "procedures": lambda s, p, k: procedures_table(top_procedures(s, p), k),
    "queue": lambda s, p, k: queue_table(work_queue(s, p)),
    "channels": lambda s, p, k: channels_table(channel_figures(s, p, latency_counts(s, p))),
    "satisfaction": lambda s, p, k: satisfaction_table(satisfaction_days(s, p)),
    "handoffs": lambda s, p, k: handoffs_table(handoff_waits(s, p)),
}
"""Each table's CSV, computed alone: ``(session, period, knowledge) -> Table``."""


# --- the charts' figures --------------------------------------------------------------------


def chart_data(board: Dashboard, knowledge: Knowledge | None) -> dict[str, Any]:
    """What ``static/analytics.js`` draws: labels and series, nothing else."""
    period = board.period
    daily = daily_table(period, board.daily)
    labels = [day.strftime("%d/%m") for day in period.dates()]
    by_day = {d.day: d for d in board.satisfaction}
    return {
        "daily": {
            "labels": labels,
            "series": [
                {
                    "key": key,
                    "name": CHANNELS.get(key, key),
                    "values": [row[1 + n] for row in daily.rows],
                }
                for n, key in enumerate(channels_of(board.daily))
            ],
        },
        "procedures": {
            "labels": [
                f"{p.code} {_procedure_name(knowledge, p.code)}".strip()[:60]
                for p in board.procedures
            ],
            "values": [p.asked for p in board.procedures],
        },
        "satisfaction": {
            "labels": labels,
            "values": [
                None
                if (d := by_day.get(day)) is None or d.share is None
                else round(d.share * 100, 1)
                for day in period.dates()
            ],
            "target": SATISFACTION_TARGET * 100,
        },
    }


# --- the routes ------------------------------------------------------------------------------


def _days(value: int) -> int:
    return value if value in PERIODS else PERIODS[0]


def _knowledge(request: Request) -> Knowledge | None:
    knowledge: Knowledge | None = getattr(request.app.state, "knowledge", None)
    return knowledge


@router.get("")
async def analytics_page(
    request: Request,
    user: StaffDep,
    days: Annotated[int, Query()] = PERIODS[0],
    error: str = "",
) -> Response:
    period = Period.last_days(_days(days))
    board = await asyncio.to_thread(dashboard, staff_sessions(request), period)
    knowledge = _knowledge(request)
    summary = board.summary
    waits = board.handoffs
    context = {
        "period": period,
        "periods": PERIODS,
        "first": period.first.strftime("%d/%m/%Y"),
        "last": period.last.strftime("%d/%m/%Y"),
        "summary": {
            "turns": shown(summary.turns),
            "conversations": shown(summary.conversations),
            "containment": shown(Share(summary.containment)),
            "handed_off": shown(summary.handed_off),
            "answer_rate": shown(Share(summary.answer_rate)),
            "questions": shown(summary.questions),
            "satisfaction": shown(Share(summary.satisfaction)),
            "ratings": shown(summary.ratings),
            "target": f"{SATISFACTION_TARGET * 100:.0f} %",
            "on_target": (summary.satisfaction or 0) >= SATISFACTION_TARGET,
            "median": shown(Millis(summary.median_ms)),
            "p90": shown(Millis(summary.p90_ms)),
            "has_turns": summary.turns > 0,
            "wait": shown(waits.median_wait),
            "wait_p90": shown(waits.p90_wait),
            "handoffs": shown(waits.requests),
            "has_waits": waits.median_wait is not None,
            "waiting": shown(waits.waiting),
        },
        "low_confidence": shown(Share(LOW_CONFIDENCE)),
        "tables": {
            "daily": daily_table(period, board.daily),
            "procedures": procedures_table(board.procedures, knowledge),
            "queue": queue_table(board.queue),
            "channels": channels_table(board.channels),
            "satisfaction": satisfaction_table(board.satisfaction),
            "handoffs": handoffs_table(waits),
        },
        "queue": [
            {
                "question": item.question,
                "language": item.language or "vi",
                "procedure": item.procedure or "",
            }
            for item in board.queue
        ],
        "charts": chart_data(board, knowledge),
        "shown": shown,
        "numeric": numeric,
        "can_add_alias": user.role == "admin" and knowledge is not None,
        "error": ALIAS_ERRORS.get(error, ""),
    }
    return staff_page(request, "staff/analytics.html", context)


@router.get("/{name}.csv")
async def analytics_csv(
    request: Request, user: StaffDep, name: str, days: Annotated[int, Query()] = PERIODS[0]
) -> Response:
    build = TABLES.get(name)
    if build is None:
        raise HTTPException(status_code=404, detail="no such table")
    period = Period.last_days(_days(days))
    knowledge = _knowledge(request)

    def read() -> Table:
        with staff_sessions(request)() as session:
            return build(session, period, knowledge)

    table = await asyncio.to_thread(read)
    filename = f"thong-ke-{name}-{period.days}-ngay-{period.last.isoformat()}.csv"
    headers = {
        **STAFF_HEADERS,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    return Response(table.csv(), media_type="text/csv; charset=utf-8", headers=headers)


def _alias_problem(knowledge: Knowledge, code: str, alias: str, language: str) -> str | None:
    if not alias:
        return "empty"
    if MASK in alias or "*" in alias:
        return "masked"
    if len(alias) > MAX_ALIAS_CHARS:
        return "long"
    if code not in knowledge.catalogue:
        return "procedure"
    procedure = knowledge.catalogue.procedures[code]
    known = procedure.aliases_en if language == "en" else procedure.aliases
    if alias.casefold() in {a.casefold() for a in known}:
        return "known"
    return None


@router.post("/alias")
async def add_alias(
    request: Request,
    user: AdminDep,
    client: ClientAddressDep,
    knowledge: KnowledgeDep,
    procedure: Annotated[str, Form()],
    alias: Annotated[str, Form()],
    language: Annotated[str, Form()] = "vi",
    days: Annotated[int, Form()] = PERIODS[0],
) -> Response:
    """Stage the live catalogue with ``alias`` added to ``procedure``; open its review page."""
    code = procedure.strip()[:32]
    text = " ".join(alias.split())
    lang = "en" if language == "en" else "vi"
    back = f"/staff/analytics?days={_days(days)}&error="
    problem = _alias_problem(knowledge, code, text, lang)
    if problem is not None:
        return RedirectResponse(back + problem, status_code=303)
    publisher: Publisher = request.app.state.publisher
    live: LiveKnowledge | None = getattr(request.app.state, "live", None)
    pointer = live.pointer if live is not None else SHIPPED

    def stage() -> int:
        root = catalogue_dir_for(publisher.settings, publisher.releases, pointer)
        upload = alias_upload(root, code, text, lang)
        return publisher.stage([upload], knowledge, pointer, user.username, client)

    try:
        release_id = await asyncio.to_thread(stage)
    except UploadRejected:
        return RedirectResponse(back + "file", status_code=303)
    return RedirectResponse(f"/staff/catalogue/releases/{release_id}", status_code=303)
