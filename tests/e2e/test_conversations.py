"""Whole conversations through Rasa's gateway channel (and, where a citizen gives a second
factor, through the real gateway in front of it), asserting on the facts in the answers."""

from __future__ import annotations

import pytest

from helpdesk.messages import text
from knowledge.catalogue import load_catalogue
from store.status import RecordStatus
from tests.e2e.conftest import Assistant, Gateway

pytestmark = pytest.mark.rasa


def test_documents_then_follow_up_fee(assistant: Assistant, sender: str) -> None:
    first = assistant.text(sender, "làm giấy khai sinh cho con cần những giấy tờ gì")
    assert "Tờ khai đăng ký khai sinh" in first and "thủ tục 1.001193" in first
    follow = assistant.text(sender, "còn lệ phí thì sao?")
    assert "Phí, lệ phí" in follow and "miễn phí" in follow and "thủ tục 1.001193" in follow


def test_fee_with_page_count_without_diacritics(assistant: Assistant, sender: str) -> None:
    answer = assistant.text(sender, "chung thuc ban sao 10 trang het bao nhieu tien")
    assert "12.000 đồng" in answer and "2.000815" in answer


def test_switching_procedure(assistant: Assistant, sender: str) -> None:
    assert "1.004222" in assistant.text(sender, "đăng ký thường trú mất bao lâu")
    switched = assistant.text(sender, "còn đăng ký tạm trú thì mất bao lâu")
    assert "1.004194" in switched and "3 ngày làm việc" in switched


def test_english_conversation(assistant: Assistant, sender: str) -> None:
    answer = assistant.text(sender, "how much is the fee to replace a lost ID card")
    assert "Source: procedure 1.014064" in answer and "VND" in answer


def test_record_status_with_second_factor(
    gateway: Gateway, assistant: Assistant, conversation: str
) -> None:
    record = next(r for r in assistant.demo.records if r.status is RecordStatus.RESULT_READY)
    assert "mã" in gateway.text(conversation, "tôi muốn tra cứu tình trạng hồ sơ").lower()
    asked = gateway.text(conversation, record.code.lower().replace("-", " "))
    assert "4" in asked
    answer = gateway.text(conversation, record.id_last4)
    assert text("record.status.result_ready.label", "vi").lower() in answer.lower()
    assert record.id_last4 not in answer and record.phone_last4 not in answer
    # the status names its procedure, not only its code
    procedure = load_catalogue(assistant.settings.catalogue_dir).get(record.procedure_code)
    assert f"“{procedure.name}”" in answer and record.procedure_code in answer


def test_an_answer_cites_its_source_as_one_titled_link(gateway: Gateway, conversation: str) -> None:
    messages = gateway.say(conversation, "làm giấy khai sinh cần giấy tờ gì")
    answer = next(m for m in messages if m["text"] and "Nguồn:" in m["text"])
    assert "http" not in answer["text"]  # no raw address inside the words
    assert [link["title"] for link in answer["links"]] == ["Cổng Dịch vụ công quốc gia"]
    assert answer["links"][0]["url"].startswith("https://dichvucong.gov.vn/")


def test_record_status_wrong_factor_is_neutral(
    gateway: Gateway, assistant: Assistant, conversation: str
) -> None:
    record = assistant.demo.records[0]
    gateway.text(conversation, "kiểm tra hồ sơ của tôi")
    gateway.text(conversation, record.code)
    wrong = "0000" if "0000" not in (record.phone_last4, record.id_last4) else "1111"
    answer = gateway.text(conversation, wrong)
    assert text(f"record.status.{record.status.value}.label", "vi").lower() not in answer.lower()
    assert assistant.settings.hotline in answer


def test_digits_sent_to_rasa_directly_never_open_a_record(
    assistant: Assistant, sender: str
) -> None:
    """Plain digits (not a token from the gateway) are asked again, never looked up."""
    record = assistant.demo.records[0]
    assistant.text(sender, "kiểm tra hồ sơ")
    assistant.text(sender, record.code)
    answer = assistant.text(sender, record.phone_last4)
    assert text(f"record.status.{record.status.value}.label", "vi").lower() not in answer.lower()
    assert "4 chữ số cuối" in answer


def test_office_finder(assistant: Assistant, sender: str) -> None:
    answer = assistant.text(sender, "xã Phúc Xá quận Ba Đình Hà Nội giờ thuộc phường nào")
    if "Hồng Hà" not in answer:  # the form may ask for the place first
        answer = assistant.text(sender, "Phúc Xá, Ba Đình, Hà Nội")
    assert "Phường Hồng Hà" in answer


def test_out_of_scope_is_not_guessed(assistant: Assistant, sender: str) -> None:
    answer = assistant.text(sender, "dự báo thời tiết Cà Mau ngày mai")
    assert "Nguồn:" not in answer and "đồng" not in answer
