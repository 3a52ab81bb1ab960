"""Fixed sentences the actions say, in Vietnamese and English. Short, plain, polite."""

from __future__ import annotations

from helpdesk.language import Lang

TEXTS: dict[str, tuple[str, str]] = {
    "not_found": (
        "Xin lỗi, tôi chưa có thông tin về thủ tục này. Bạn có thể gọi tổng đài {hotline} "
        "({hours}) hoặc hỏi cán bộ tại Trung tâm Phục vụ hành chính công.",
        "Sorry, I have no information about this procedure. Please call {hotline} ({hours}) "
        "or ask the staff at the public service center.",
    ),
    "which_procedure": (
        "Bạn hỏi về thủ tục nào? Chọn một thủ tục dưới đây:",
        "Which procedure do you mean? Please choose one:",
    ),
    "ask_which_procedure": (
        "Bạn muốn hỏi thủ tục nào? Ví dụ: đăng ký khai sinh, chứng thực bản sao, làm căn cước.",
        "Which procedure are you asking about? For example: birth registration, certified "
        "copies, ID card.",
    ),
    "rephrase": (
        "Xin lỗi, tôi chưa hiểu. Bạn nói rõ hơn được không? Ví dụ: “làm giấy khai sinh cần gì”.",
        "Sorry, I did not understand. Could you say it another way? For example: "
        "“documents for birth registration”.",
    ),
    "offer_staff": (
        "Tôi vẫn chưa hiểu ý bạn. Bạn có muốn nói chuyện với cán bộ không?",
        "I still do not understand. Would you like to talk to a staff member?",
    ),
    "handoff": (
        "Tôi đã ghi lại yêu cầu của bạn để cán bộ xem. Bạn cũng có thể gọi ngay tổng đài "
        "{hotline} ({hours}).",
        "I have noted your request for the staff. You can also call {hotline} ({hours}) now.",
    ),
    "feedback_thanks": ("Cảm ơn bạn đã góp ý!", "Thank you for your feedback!"),
    "feedback_unclear": (
        "Bạn đánh giá câu trả lời thế nào? Bấm 👍 hoặc 👎.",
        "How was the answer? Press 👍 or 👎.",
    ),
    "language_set": (
        "Tôi sẽ trả lời bằng tiếng Việt.",
        "I will answer in English from now on.",
    ),
    "unavailable": (
        "Xin lỗi, hệ thống đang bận, tôi chưa trả lời được. Vui lòng thử lại sau ít phút hoặc "
        "gọi tổng đài {hotline} ({hours}).",
        "Sorry, the system is busy and cannot answer right now. Please try again in a few "
        "minutes or call {hotline} ({hours}).",
    ),
    "record_code_bad": (
        "Mã hồ sơ chưa đúng: {reason} Mã in trên giấy tiếp nhận (phiếu hẹn), ví dụ "
        "000.00.12.H12-250701-0001. Bạn nhập lại nhé.",
        "That record code is not valid: {reason} The code is printed on your receipt, e.g. "
        "000.00.12.H12-250701-0001. Please type it again.",
    ),
    "digits_bad": (
        "Vui lòng nhập đúng 4 chữ số cuối của số điện thoại hoặc số căn cước bạn đã khai khi "
        "nộp hồ sơ.",
        "Please type exactly the last 4 digits of the phone or ID number you gave when applying.",
    ),
    "factor_expired": (
        "Tôi chưa nhận được 4 số cuối, hoặc đã quá lâu. Bạn gõ lại 4 số cuối của số điện "
        "thoại hoặc số căn cước đã khai khi nộp hồ sơ.",
        "I did not get the last 4 digits, or it was too long ago. Please type again the last "
        "4 digits of the phone or ID number you gave when applying.",
    ),
    "factor_retry": (
        "Nếu gõ nhầm, bạn gõ lại 4 số cuối. Muốn tra hồ sơ khác, bạn gõ mã hồ sơ đó.",
        "If you made a typing mistake, type the 4 digits again. For another record, type its code.",
    ),
    "ask_record_code_again": (
        "Bạn gõ giúp tôi mã hồ sơ in trên giấy tiếp nhận (phiếu hẹn).",
        "Please type the record code printed on your receipt.",
    ),
    "place_unknown": (
        "Tôi không tìm thấy xã, phường “{place}”. Bạn ghi rõ hơn, kèm huyện và tỉnh cũ nhé. "
        "Ví dụ: “xã Hưng Long, huyện Ninh Giang, Hải Dương”.",
        "I could not find “{place}”. Please add the old district and province, e.g. "
        "“Hung Long commune, Ninh Giang district, Hai Duong”.",
    ),
    "place_ambiguous": (
        "Có nhiều nơi tên “{place}”. Nơi đó thuộc {ask} nào?",
        "Several places are called “{place}”. Which {ask} is it in?",
    ),
    "cancelled": ("Đã hủy. Bạn cần hỏi gì khác không?", "Cancelled. Anything else?"),
}

ASK_FOR = {"district": ("huyện (quận)", "district"), "province": ("tỉnh", "province")}


def say(key: str, lang: Lang, **values: str) -> str:
    """The sentence ``key`` in ``lang``, with ``{placeholders}`` filled."""
    vi, en = TEXTS[key]
    return (en if lang == "en" else vi).format(**values)
