"""Closed vocabularies of a record besides its status: how it came in, how the result goes out."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Cách thức nộp hồ sơ."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    POSTAL = "postal"

    @property
    def label_vi(self) -> str:
        return {"in_person": "trực tiếp", "online": "trực tuyến", "postal": "qua bưu chính"}[
            self.value
        ]


class ResultDelivery(StrEnum):
    """Hình thức nhận kết quả."""

    ONLINE = "online"
    COUNTER = "counter"
    POST = "post"

    @property
    def label_vi(self) -> str:
        return {
            "online": "nhận bản điện tử trực tuyến",
            "counter": "nhận trực tiếp tại quầy",
            "post": "nhận qua bưu điện",
        }[self.value]

    @property
    def label_en(self) -> str:
        return {
            "online": "online (electronic copy)",
            "counter": "at the counter",
            "post": "by post",
        }[self.value]
