from actions.offices import ActionFindOffice, ValidateOfficeForm
from actions.records import ActionCheckRecordStatus, ValidateRecordStatusForm
from actions.support import (
    ActionFallbackSearch,
    ActionFeedback,
    ActionHandoff,
    ActionSetLanguage,
)
from store.demo import seed_demo
from store.feedback import feedback_summary
from store.handoff import open_handoffs
from store.status import RecordStatus
from tests.actions.conftest import run_action
from tests.factories import make_tracker


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _validate(form, slot, value, **tracker_args):
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(str(value), **tracker_args)
    result = getattr(form, f"validate_{slot}")(value, dispatcher, tracker, {})
    return result, dispatcher.messages


async def _avalidate(form, slot, value, **tracker_args):
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(str(value), **tracker_args)
    result = await getattr(form, f"validate_{slot}")(value, dispatcher, tracker, {})
    return result, dispatcher.messages


def test_record_code_is_parsed_tolerantly(services) -> None:
    form = ValidateRecordStatusForm()
    result, messages = _validate(form, "record_code", "000.00.12.h12 250701 OOO1")
    assert result == {"record_code": "000.00.12.H12-250701-0001"} and not messages
    result, messages = _validate(form, "record_code", "000.00.12.H12-251399-0001")
    assert result == {"record_code": None}
    assert "Mã hồ sơ chưa đúng" in messages[0]["text"]
    huge, messages = _validate(form, "record_code", "7" * 10_000)
    assert huge == {"record_code": None} and len(messages[0]["text"]) < 400


def test_verification_slot_takes_only_a_token(services) -> None:
    form = ValidateRecordStatusForm()
    token = services.vault.issue("conversation-1", "1234")
    assert _validate(form, "verification", token)[0] == {"verification": token}
    # digits that reached Rasa somehow, words, a masked near-miss: asked again, never kept
    for typed in ("1234", "12 34", "***", "không nhớ"):
        result, messages = _validate(form, "verification", typed, slots={"language": "en"})
        assert result == {"verification": None} and "last 4 digits" in messages[0]["text"]


def _lookup_tracker(services, code: str, digits: str, sender: str = "conversation-1", **kw):
    token = services.vault.issue(sender, digits)
    return make_tracker(
        '/give_verification{"verification_token":"' + token + '"}',
        intent="give_verification",
        sender_id=sender,
        slots={"record_code": code, "verification": token, **kw.pop("slots", {})},
        **kw,
    )


async def test_status_lookup_needs_the_second_factor_and_is_neutral(services) -> None:
    seed = seed_demo(services.sessions, services.settings)
    record = next(r for r in seed.records if r.status is RecordStatus.WAITING_SUPPLEMENT)
    good = _lookup_tracker(services, record.code, record.phone_last4)
    messages, events = await run_action(ActionCheckRecordStatus(), good)
    text = messages[0]["text"]
    assert "bổ sung" in text.lower()
    assert record.phone_last4 not in text and record.id_last4 not in text
    assert slots_of(events) == {"record_code": None, "verification": None}

    wrong_digits = "0000" if record.phone_last4 != "0000" else "1111"
    wrong = _lookup_tracker(services, record.code, wrong_digits)
    unknown = _lookup_tracker(services, "000.00.99.H99-250101-9999", "4321")
    wrong_text = (await run_action(ActionCheckRecordStatus(), wrong))[0][0]["text"]
    unknown_text = (await run_action(ActionCheckRecordStatus(), unknown))[0][0]["text"]
    assert wrong_text == unknown_text


async def test_after_wrong_digits_the_citizen_retries_the_same_code(services) -> None:
    seed = seed_demo(services.sessions, services.settings)
    record = seed.records[0]
    wrong = "0000" if record.phone_last4 != "0000" else "1111"
    messages, events = await run_action(
        ActionCheckRecordStatus(), _lookup_tracker(services, record.code, wrong)
    )
    # the code is kept, the token slot cleared, and the answer asks for the digits again
    # with the marker that makes the gateway protect the reply
    assert slots_of(events) == {"verification": None}
    assert any(m.get("custom") == {"expect": "verification"} for m in messages)
    assert "gõ lại 4 số cuối" in "\n".join(m.get("text") or "" for m in messages)
    again = _lookup_tracker(services, record.code, record.phone_last4)
    messages, events = await run_action(ActionCheckRecordStatus(), again)
    assert "Không tìm thấy" not in messages[0]["text"]
    assert slots_of(events) == {"record_code": None, "verification": None}


async def test_a_token_is_redeemed_once_and_only_in_its_conversation(services) -> None:
    seed = seed_demo(services.sessions, services.settings)
    record = seed.records[0]
    tracker = _lookup_tracker(services, record.code, record.phone_last4, sender="owner-1")
    stolen = make_tracker(
        "x",
        sender_id="thief-1",
        slots={"record_code": record.code, "verification": tracker.get_slot("verification")},
    )
    messages, _ = await run_action(ActionCheckRecordStatus(), stolen)
    assert "4 số cuối" in messages[0]["text"] and record.code not in messages[0]["text"]
    # the thief's attempt spent it: the owner is asked again too
    messages, events = await run_action(ActionCheckRecordStatus(), tracker)
    assert messages[0].get("custom") == {"expect": "verification"}
    assert slots_of(events) == {"verification": None}


async def test_enumeration_from_one_conversation_is_locked(services) -> None:
    texts = []
    limit = services.settings.lookup_max_source_failures
    for n in range(limit + 2):
        tracker = _lookup_tracker(
            services, f"000.00.12.H12-250701-{n:04d}", "1234", sender="prober"
        )
        texts.append((await run_action(ActionCheckRecordStatus(), tracker))[0][0]["text"])
    assert texts[0] == texts[limit - 1]
    assert texts[-1] != texts[0]  # refused: try again later
    assert services.settings.hotline in texts[-1]


async def test_office_finder_resolves_and_asks_when_ambiguous(services) -> None:
    form = ValidateOfficeForm()
    ok, messages = await _avalidate(form, "place", "phuc xa, ba dinh, ha noi")
    assert ok == {"place": "phuc xa, ba dinh, ha noi"} and not messages
    ambiguous, messages = await _avalidate(form, "place", "Phường 1, Trà Vinh")
    assert ambiguous == {"place": None}
    assert "huyện" in messages[0]["text"] and messages[0]["buttons"]
    assert messages[0]["buttons"][0]["payload"].startswith("/give_place")
    tracker = make_tracker("phuc xa, ba dinh, ha noi", slots={"place": "phuc xa, ba dinh, ha noi"})
    messages, events = await run_action(ActionFindOffice(), tracker)
    text = messages[0]["text"]
    assert "Phường Hồng Hà" in text and "Thành phố Hà Nội" in text
    assert "Điện thoại:" in text
    assert slots_of(events) == {"place": None}


async def test_office_finder_lists_every_ward_of_a_split(services) -> None:
    tracker = make_tracker(
        "x", slots={"place": "Phường Cống Vị, Ba Đình, Hà Nội", "language": "en"}
    )
    messages, _ = await run_action(ActionFindOffice(), tracker)
    assert "divided between" in messages[0]["text"]
    assert "Giảng Võ" in messages[0]["text"] and "Ngọc Hà" in messages[0]["text"]


async def test_handoff_records_a_sanitised_note(services) -> None:
    tracker = make_tracker(
        "cho tôi gặp cán bộ",
        intent="human_handoff",
        sender_id="c-42",
        history=[("số tôi là 0912 345 678, hỏi về đất", "ask_procedure")],
        slots={"procedure": "1.013978"},
    )
    messages, _ = await run_action(ActionHandoff(), tracker)
    assert services.settings.hotline in messages[0]["text"]
    notes = open_handoffs(services.sessions)
    assert notes[0].conversation_id == "c-42" and notes[0].topic == "1.013978"
    assert "0912" not in notes[0].note and "đất" in notes[0].note


async def test_feedback_is_stored_without_personal_data(services) -> None:
    tracker = make_tracker(
        '/feedback{"rating":"up"}',
        intent="feedback",
        entities=[{"entity": "rating", "value": "up"}],
        slots={"procedure": "1.001193"},
    )
    messages, _ = await run_action(ActionFeedback(), tracker)
    assert "Cảm ơn" in messages[0]["text"]
    assert feedback_summary(services.sessions).by_rating == {"up": 1}


async def test_language_switch(services) -> None:
    messages, events = await run_action(ActionSetLanguage(), make_tracker("/lang"))
    assert slots_of(events) == {"language": "en"} and "English" in messages[0]["text"]
    tracker = make_tracker(
        "tiếng Việt", entities=[{"entity": "language", "value": "vi"}], slots={"language": "en"}
    )
    assert slots_of((await run_action(ActionSetLanguage(), tracker))[1]) == {"language": "vi"}


async def test_two_stage_fallback(services) -> None:
    answered, _ = await run_action(
        ActionFallbackSearch(), make_tracker("nhập hộ khẩu cho con", intent="nlu_fallback")
    )
    assert "thủ tục 1.004222" in answered[0]["text"]
    first, _ = await run_action(
        ActionFallbackSearch(), make_tracker("abc xyz", intent="nlu_fallback")
    )
    assert "chưa hiểu" in first[0]["text"]
    second, _ = await run_action(
        ActionFallbackSearch(),
        make_tracker("qwe rty", intent="nlu_fallback", actions=["action_fallback_search"]),
    )
    assert second[0]["buttons"][0]["payload"] == "/human_handoff"


async def test_database_down_is_polite(services, caplog) -> None:
    tracker = _lookup_tracker(services, "000.00.12.H12-250701-0001", "1234")
    services.__dict__.pop("sessions", None)
    services.__dict__.pop("lookup", None)
    services.__dict__.pop("vault", None)
    services.settings.database_url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    messages, _ = await run_action(ActionCheckRecordStatus(), tracker)
    assert "hệ thống đang bận" in messages[0]["text"]
    assert "1234" not in caplog.text


def test_a_code_rejected_without_a_reason_says_the_catalogue_sentence(services) -> None:
    # the same situation is worded once: the form and the lookup both read it from the catalogue
    from helpdesk.messages import text

    form = ValidateRecordStatusForm()
    for lang in ("vi", "en"):
        _, messages = _validate(form, "record_code", "7" * 10_000, slots={"language": lang})
        assert text("record_code.defect.invalid", lang) in messages[0]["text"]
    assert text("record_code.defect.invalid", "vi") == "Mã hồ sơ không hợp lệ."
