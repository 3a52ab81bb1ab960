"""Replies the bot asks for, odd payloads, long messages, and what staff notes keep."""

from actions.procedures import ActionAnswerFee, ActionAnswerPageCount
from actions.support import ActionFeedback, ActionHandoff
from store.feedback import feedback_summary
from store.handoff import open_handoffs
from tests.actions.conftest import run_action
from tests.factories import make_tracker

CERTIFIED_COPY = "2.000815"  # chứng thực bản sao từ bản chính: priced per page


async def test_a_bare_number_of_pages_gives_the_total(services) -> None:
    assert CERTIFIED_COPY in services.knowledge.catalogue
    for text, lang, expected in (
        ("5", "vi", "5 trang"),
        ("5 trang", "vi", "5 trang"),
        ("5 pages", "en", "5 page"),
    ):
        entities = [{"entity": "page_count", "value": "5"}] if " " in text else []
        tracker = make_tracker(
            text,
            intent="give_page_count",
            entities=entities,
            slots={"procedure": CERTIFIED_COPY, "language": lang},
        )
        messages, _ = await run_action(ActionAnswerPageCount(), tracker)
        assert expected in messages[0]["text"], (text, messages[0]["text"])


async def test_pages_without_a_procedure_asks_which(services) -> None:
    tracker = make_tracker("5", intent="give_page_count")
    messages, events = await run_action(ActionAnswerPageCount(), tracker)
    assert "thủ tục nào" in messages[0]["text"]
    assert {"event": "slot", "name": "topic", "value": "fee", "timestamp": None} in events


async def test_a_long_message_is_searched_by_its_beginning(services) -> None:
    question = "Chứng thực bản sao giấy khai sinh hết bao nhiêu tiền? " + "xin cảm ơn " * 80
    assert 500 < len(question) <= 1000
    messages, _ = await run_action(ActionAnswerFee(), make_tracker(question, intent="ask_fee"))
    # answered from the catalogue (a fee, or a choice of procedures), not "the system is busy"
    assert "hệ thống đang bận" not in messages[0]["text"]
    assert messages[0].get("buttons") or "đồng" in messages[0]["text"]


async def test_an_invalid_rating_payload_asks_again(services) -> None:
    tracker = make_tracker(
        '/feedback{"rating":"x"}', intent="feedback", entities=[{"entity": "rating", "value": "x"}]
    )
    messages, _ = await run_action(ActionFeedback(), tracker)
    assert "hệ thống đang bận" not in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/feedback{"rating":"up"}',
        '/feedback{"rating":"down"}',
    ]
    assert feedback_summary(services.sessions).by_rating == {}


async def test_a_note_after_a_lookup_holds_no_code_digits_or_name(services) -> None:
    token = services.vault.issue("c-7", "4821")
    tracker = make_tracker(
        "gặp cán bộ",
        intent="human_handoff",
        sender_id="c-7",
        history=[
            ("Tên tôi là Nguyễn Văn An, hỏi về chứng thực 4821 và 0912345678", "ask_fee"),
            ("tra cứu hồ sơ 000.00.12.H12-250701-0001", "check_record_status"),
            ('/give_verification{"verification_token":"' + token + '"}', "give_verification"),
        ],
    )
    await run_action(ActionHandoff(), tracker)
    note = open_handoffs(services.sessions)[0].note
    assert "chứng thực" in note
    for secret in ("Nguyễn", "4821", "0912", "250701-0001", "ft_", "give_verification"):
        assert secret not in note, (secret, note)


async def test_a_note_without_a_question_says_so(services) -> None:
    tracker = make_tracker(
        "gặp cán bộ",
        intent="human_handoff",
        sender_id="c-8",
        history=[("1234", "give_verification"), ("Phúc Xá, Ba Đình", "give_place")],
    )
    await run_action(ActionHandoff(), tracker)
    assert open_handoffs(services.sessions)[0].note == "Người dân muốn gặp cán bộ."
