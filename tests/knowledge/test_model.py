from datetime import date

import pytest
from pydantic import ValidationError

from knowledge.model import ChannelKind, NoTime, TimeUnit
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


NO_TIMES = {"time": None, "channels": [{"kind": "truc_tiep"}, {"kind": "truc_tuyen"}]}
NO_LEGAL_BASIS = {"legal_basis": [], "verified": False}
WHY = "The page lists no legal basis."


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (NO_TIMES, "or no_time"),
        (
            {"time": None, "no_time": "not_given"}
            | {"channels": [{"kind": "truc_tiep", "time": {"unit": "days", "value": 3}}]},
            "no_time is for an entry without any time",
        ),
        ({"no_time": "set_by_province"}, "no_time is for an entry without any time"),
        (NO_TIMES | {"no_time": "later"}, "not_given"),
        # one channel with its own time, one without: no_time does not cover the gap
        (
            {
                "time": None,
                "channels": [
                    {"kind": "truc_tiep", "time": {"unit": "days", "value": 3}},
                    {"kind": "truc_tuyen"},
                ],
            },
            "or no_time",
        ),
        (NO_LEGAL_BASIS, "no_legal_basis_reason saying why"),
        (NO_LEGAL_BASIS | {"no_legal_basis_reason": "  "}, "no_legal_basis_reason saying why"),
        (
            NO_LEGAL_BASIS | {"no_legal_basis_reason": WHY, "verified": True},
            "must have verified: false",
        ),
        ({"no_legal_basis_reason": WHY}, "only for an empty legal_basis"),
    ],
)
def test_a_missing_time_or_legal_basis_must_say_why(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        make_procedure(**overrides)


@pytest.mark.parametrize("why", [NoTime.NOT_GIVEN, NoTime.SET_BY_PROVINCE])
def test_a_procedure_may_state_why_it_has_no_time(why: NoTime) -> None:
    procedure = make_procedure(**NO_TIMES, no_time=why.value)
    assert procedure.no_time is why
    assert procedure.time_for() is None and procedure.time_for(ChannelKind.ONLINE) is None


def test_a_procedure_without_legal_basis_is_unverified_and_says_why() -> None:
    procedure = make_procedure(**NO_LEGAL_BASIS, no_legal_basis_reason=WHY)
    assert procedure.legal_basis == [] and procedure.no_legal_basis_reason == WHY
    assert not procedure.verified


def test_a_draft_may_leave_the_time_open() -> None:
    draft = make_procedure(**NO_TIMES, draft=True, verified=False, unverified_reason="draft")
    assert draft.no_time is None and draft.time_for() is None
