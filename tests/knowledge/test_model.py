from datetime import date

import pytest
from pydantic import ValidationError

from knowledge.model import ChannelKind, TimeUnit
from tests.factories import make_procedure


def test_valid_procedure_round_trips() -> None:
    procedure = make_procedure()
    assert procedure.time_for().unit is TimeUnit.SAME_DAY
    assert procedure.online


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "1001193"}, "procedure code must look like"),
        ({"time": {"unit": "same_day", "value": 3}}, "same-day time has no value"),
        ({"time": {"unit": "working_days"}}, "needs a value"),
        ({"fees": [{"name": "x"}]}, "give an amount"),
        ({"fees": [{"name": "x", "free": True, "amount": 5}]}, "free fee cannot have an amount"),
        ({"channels": [{"kind": "truc_tiep"}, {"kind": "truc_tiep"}]}, "listed twice"),
        ({"source_url": "http://x"}, "https://"),
        ({"channels": [{"kind": "truc_tiep"}], "online_level": "toan_trinh"}, "no online channel"),
        ({"documents": []}, "at least 1"),
        ({"surprise": 1}, "Extra inputs"),
        (
            {
                "fees": [
                    {
                        "name": "x",
                        "amount": 1,
                        "valid_from": "2026-02-01",
                        "valid_until": "2026-01-01",
                    }
                ]
            },
            "valid_from is after valid_until",
        ),
        ({"documents": [{"name": "d", "case": "a"}]}, "cases that are not listed"),
        (
            {
                "documents": [{"name": "d", "case": "a"}],
                "cases": [{"id": "a", "name": "a", "name_en": "a"}],
            },
            "one case alone",
        ),
        (
            {
                "documents": [{"name": "d", "case": "a"}],
                "cases": [
                    {"id": "a", "name": "a", "name_en": "a"},
                    {"id": "b", "name": "b", "name_en": "b"},
                ],
            },
            "cases with no document: b",
        ),
    ],
)
def test_invalid_procedures_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_procedure(**overrides)


def test_channel_specific_fees_and_times() -> None:
    procedure = make_procedure(
        channels=[
            {"kind": "truc_tiep", "time": {"unit": "working_days", "value": 27}},
            {"kind": "truc_tuyen", "time": {"unit": "working_days", "value": 17}},
        ],
        fees=[
            {"name": "Lệ phí", "amount": 20000, "channels": ["truc_tiep"]},
            {"name": "Lệ phí", "amount": 10000, "channels": ["truc_tuyen"]},
        ],
    )
    assert procedure.time_for(ChannelKind.ONLINE).value == 17
    assert procedure.time_for(ChannelKind.IN_PERSON).value == 27
    assert [f.amount for f in procedure.fees_for(ChannelKind.ONLINE)] == [10000]
    assert [f.amount for f in procedure.fees_for()] == [20000, 10000]


def test_a_fee_is_in_force_within_its_period_both_ends_included() -> None:
    halved, full = make_procedure(
        fees=[
            {"name": "half", "amount": 25000, "valid_from": "2025-07-01"}
            | {"valid_until": "2026-12-31"},
            {"name": "full", "amount": 50000, "valid_from": "2027-01-01"},
        ]
    ).fees
    assert [halved.in_force(d) for d in (date(2025, 6, 30), date(2025, 7, 1))] == [False, True]
    assert [halved.in_force(d) for d in (date(2026, 12, 31), date(2027, 1, 1))] == [True, False]
    assert [full.in_force(d) for d in (date(2026, 12, 31), date(2030, 1, 1))] == [False, True]
