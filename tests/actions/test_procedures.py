from actions.procedures import (
    ActionAnswerDocuments,
    ActionAnswerFee,
    ActionAnswerTime,
    ActionChooseProcedure,
)
from actions.which_procedure import (
    AskWhich,
    Choices,
    NotFound,
    ProcedureFound,
    find_procedure,
    is_follow_up,
)
from tests.actions.conftest import run_action
from tests.factories import make_tracker


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_documents_answer_comes_from_the_catalogue_with_its_source(services) -> None:
    tracker = make_tracker("làm giấy khai sinh cần những giấy tờ gì", intent="ask_documents")
    messages, events = await run_action(ActionAnswerDocuments(), tracker)
    text = messages[0]["text"]
    assert "Tờ khai đăng ký khai sinh" in text and "☐" in text
    assert "Nguồn: thủ tục 1.001193" in text and "163/QĐ-BTP" in text
    assert slots_of(events) == {"procedure": "1.001193", "topic": "documents"}


async def test_follow_up_uses_the_procedure_in_the_slot(services) -> None:
    tracker = make_tracker("còn lệ phí thì sao?", intent="ask_fee", slots={"procedure": "1.004222"})
    messages, events = await run_action(ActionAnswerFee(), tracker)
    text = messages[0]["text"]
    assert "20.000 đồng" in text and "10.000 đồng" in text
    assert "thủ tục 1.004222" in text
    assert slots_of(events)["procedure"] == "1.004222"


async def test_switching_procedure_mid_conversation(services) -> None:
    tracker = make_tracker(
        "thế còn tách hộ thì mất bao lâu", intent="ask_time", slots={"procedure": "1.004222"}
    )
    messages, events = await run_action(ActionAnswerTime(), tracker)
    assert slots_of(events)["procedure"] == "1.010038"
    assert "5 ngày làm việc" in messages[0]["text"]


async def test_entity_from_nlu_wins(services) -> None:
    tracker = make_tracker(
        "lệ phí bao nhiêu",
        intent="ask_fee",
        entities=[{"entity": "procedure", "value": "2.000815"}],
    )
    messages, _ = await run_action(ActionAnswerFee(), tracker)
    assert "2.000 đồng/trang" in messages[0]["text"]


async def test_a_better_retrieval_result_overrides_the_entity(services) -> None:
    """The lookup tables match "ID card" (first issue); the words "after losing it" make the
    question one about reissue, and retrieval says so clearly."""
    tracker = make_tracker(
        "How much does it cost to get a new ID card after losing it?",
        intent="ask_fee",
        entities=[{"entity": "procedure", "value": "1.014063"}],
        slots={"language": "en"},
    )
    _, events = await run_action(ActionAnswerFee(), tracker)
    assert slots_of(events)["procedure"] == "1.014064"


async def test_page_count_gives_a_total(services) -> None:
    tracker = make_tracker(
        "chứng thực bản sao 12 trang hết bao nhiêu",
        intent="ask_fee",
        entities=[{"entity": "page_count", "value": "12"}],
    )
    messages, _ = await run_action(ActionAnswerFee(), tracker)
    assert "tổng cộng 14.000 đồng" in messages[0]["text"]


async def test_unknown_procedure_is_said_plainly_with_the_hotline(services) -> None:
    tracker = make_tracker(
        "thủ tục ly hôn thuận tình nộp đơn ở đâu",
        intent="ask_documents",
        slots={"procedure": "1.001193"},
    )
    messages, events = await run_action(ActionAnswerDocuments(), tracker)
    assert "chưa có thông tin" in messages[0]["text"]
    assert services.settings.hotline in messages[0]["text"]
    assert "procedure" not in slots_of(events)


async def test_english_conversation_gets_english_answers(services) -> None:
    tracker = make_tracker(
        "how long does marriage registration take", intent="ask_time", slots={"language": "en"}
    )
    messages, _ = await run_action(ActionAnswerTime(), tracker)
    assert messages[0]["text"].startswith("Processing time:")
    assert "Source: procedure 1.000894" in messages[0]["text"]


async def test_close_candidates_become_buttons_and_choice_answers_the_pending_topic(
    services,
) -> None:
    tracker = make_tracker("căn cước", intent="ask_documents")
    messages, events = await run_action(ActionAnswerDocuments(), tracker)
    buttons = messages[0]["buttons"]
    assert len(buttons) >= 2
    assert all(b["payload"].startswith('/choose_procedure{"procedure":') for b in buttons)
    assert slots_of(events) == {"topic": "documents"}
    code = buttons[1]["payload"].split('"')[3]
    chosen = make_tracker(
        buttons[1]["payload"],
        intent="choose_procedure",
        entities=[{"entity": "procedure", "value": code}],
        slots={"topic": "documents"},
    )
    messages, events = await run_action(ActionChooseProcedure(), chosen)
    assert f"thủ tục {code}" in messages[0]["text"] and "☐" in messages[0]["text"]


async def test_an_unknown_pending_topic_is_a_general_question(services) -> None:
    chosen = make_tracker(
        '/choose_procedure{"procedure":"1.004873"}',
        intent="choose_procedure",
        entities=[{"entity": "procedure", "value": "1.004873"}],
        slots={"topic": "nonsense"},
    )
    messages, events = await run_action(ActionChooseProcedure(), chosen)
    assert "1.004873" in messages[0]["text"]
    assert slots_of(events) == {"procedure": "1.004873", "topic": "overview"}


def test_which_procedure_gives_one_of_four_answers(services) -> None:
    knowledge = services.knowledge
    known = frozenset(knowledge.catalogue.procedures)
    searcher = knowledge.searcher
    assert find_procedure(searcher, "", "1.004873", None, known) == ProcedureFound("1.004873")
    assert find_procedure(searcher, "còn lệ phí?", None, "1.004873", known) == ProcedureFound(
        "1.004873"
    )
    assert find_procedure(searcher, "còn lệ phí?", None, None, known) == AskWhich()
    divorce = "thủ tục ly hôn thuận tình nộp đơn ở đâu"  # a court's, not a commune's
    assert find_procedure(searcher, divorce, None, None, known) == NotFound()
    choices = find_procedure(searcher, "căn cước", None, None, known)
    assert isinstance(choices, Choices) and 2 <= len(choices.hits) <= 3


def test_follow_up_detection() -> None:
    assert is_follow_up("còn lệ phí thì sao?")
    assert is_follow_up("nộp ở đâu")
    assert is_follow_up("how much does it cost?")
    assert not is_follow_up("đăng ký kết hôn cần gì")
    assert not is_follow_up("xe máy")


async def test_index_unavailable_gives_a_polite_answer(services, caplog) -> None:
    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("index file missing")

    services.overrides["knowledge"] = Broken()
    tracker = make_tracker("làm khai sinh cần gì", intent="ask_documents")
    messages, events = await run_action(ActionAnswerDocuments(), tracker)
    assert (
        "hệ thống đang bận" in messages[0]["text"]
        and services.settings.hotline in messages[0]["text"]
    )
    assert events == []
    assert "action action_answer_documents failed" in caplog.text
    assert "khai sinh" not in caplog.text  # no message text in the logs


async def test_a_time_the_province_sets_is_said_without_a_figure(services) -> None:
    """1.115148 leaves its processing time to the province: the answer says so, in both
    languages, and gives neither a number nor an expected date."""
    for text, lang, expected in (
        ("mất bao lâu?", "vi", "do Ủy ban nhân dân tỉnh, thành phố quy định"),
        ("how long does it take?", "en", "set by the People's Committee of your province"),
    ):
        tracker = make_tracker(
            text, intent="ask_time", slots={"procedure": "1.115148", "language": lang}
        )
        messages, events = await run_action(ActionAnswerTime(), tracker)
        body, _, source = messages[0]["text"].partition("\n\n")
        assert expected in body and not any(ch.isdigit() for ch in body)
        assert "1.115148" in source and "None" not in messages[0]["text"]
        assert slots_of(events)["procedure"] == "1.115148"
