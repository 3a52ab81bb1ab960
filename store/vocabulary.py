"""Closed vocabularies of a record besides its status: how it came in, how the result goes out
(the words a citizen reads: ``helpdesk/messages.yml``, keys ``record.delivery.*``); and what a
staff account may do."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Cách thức nộp hồ sơ."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    POSTAL = "postal"


class ResultDelivery(StrEnum):
    """Hình thức nhận kết quả."""

    ONLINE = "online"
    COUNTER = "counter"
    POST = "post"


class StaffRole(StrEnum):
    """What a staff account may do: ``staff`` reads records, ``admin`` also the audit log."""

    STAFF = "staff"
    ADMIN = "admin"
