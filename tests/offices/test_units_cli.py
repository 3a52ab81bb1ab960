"""``helpdesk units ...`` through typer's CliRunner (the units_app alone)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk.settings import get_settings
from offices.cli import units_app

runner = CliRunner()


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_resolve_json() -> None:
    result = runner.invoke(
        units_app, ["resolve", "xã Phúc Xá, Ba Đình, Hà Nội", "--json", "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["q"] == "xã Phúc Xá, Ba Đình, Hà Nội"
    assert data["ambiguous"] is False
    assert len(data["matches"]) == 2
    first = data["matches"][0]
    assert first["new_ward"] == "Phường Hồng Hà"
    assert first["new_province"] == "Thành phố Hà Nội"
    assert (first["old_ward"], first["old_district"], first["old_province"]) == (
        "Phường Phúc Xá",
        "Quận Ba Đình",
        "Thành phố Hà Nội",
    )


def test_resolve_text_output() -> None:
    result = runner.invoke(units_app, ["resolve", "Phường Cống Vị, Ba Đình, Hà Nội"])
    assert result.exit_code == 0
    assert result.output.startswith("1. Phường Giảng Võ, Thành phố Hà Nội ← Phường Cống Vị")
    assert "divided among: Phường Giảng Võ, Phường Ngọc Hà" in result.output
    ambiguous = runner.invoke(units_app, ["resolve", "Tân Thành"])
    assert "Ambiguous: which province?" in ambiguous.output


def test_resolve_batch_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = [
        {"q": "thị trấn Tà Lùng, Quảng Hòa, Cao Bằng"},
        {"q": "Tân Thành"},
        "not json",
        {"q": "New York"},
        {"id": 5},
    ]
    batch = tmp_path / "in.jsonl"
    batch.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
        + "\n\n",
        encoding="utf-8",
    )
    result = runner.invoke(units_app, ["resolve", "--batch", str(batch), "--limit", "3"])
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5
    assert out[0]["q"] == "thị trấn Tà Lùng, Quảng Hòa, Cao Bằng"
    first = out[0]["matches"][0]
    assert (first["new_ward"], first["new_province"]) == ("Xã Phục Hòa", "Tỉnh Cao Bằng")
    assert out[1]["ambiguous"] is True and len(out[1]["matches"]) == 3
    assert out[2]["error"].startswith("line 3:")
    assert out[3]["matches"] == []
    assert out[4]["error"].startswith("line 5:")
    assert "2 line(s)" in result.stderr


def test_resolve_batch_from_stdin() -> None:
    result = runner.invoke(
        units_app, ["resolve", "--batch", "-"], input='{"q": "p.1 q.3 tp hcm"}\n'
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["matches"][0]["new_ward"] == "Phường Bàn Cờ"


def test_resolve_needs_text_or_batch() -> None:
    assert runner.invoke(units_app, ["resolve"]).exit_code == 2


def test_center_and_checks() -> None:
    center = runner.invoke(units_app, ["center", "01648", "--json"])
    assert center.exit_code == 0
    assert json.loads(center.output)["ward"] == "Xã Phục Hòa"
    check = runner.invoke(units_app, ["centers-check"])
    assert check.exit_code == 0, check.output
    assert "96 Tỉnh Cà Mau: 64 ward(s), 64 sample" in check.output


def test_centers_check_reports_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "04.yaml").write_text('province_code: "04"\n', encoding="utf-8")
    monkeypatch.setenv("HELPDESK_SERVICE_CENTERS_DIR", str(tmp_path))
    result = runner.invoke(units_app, ["centers-check"])
    assert result.exit_code == 1
    assert "04.yaml:1: province: Field required" in result.stderr


def test_missing_admin_data_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_ADMIN_UNITS_DIR", str(tmp_path))
    result = runner.invoke(units_app, ["resolve", "Phúc Xá"])
    assert result.exit_code == 1
    assert "legacy-to-2025.csv: (file): missing" in result.stderr
