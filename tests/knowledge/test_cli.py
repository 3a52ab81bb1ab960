import json
from pathlib import Path

from typer.testing import CliRunner

from helpdesk_cli.cli import app

runner = CliRunner()


def test_search_json(real_knowledge) -> None:
    result = runner.invoke(app, ["search", "chung thuc ban sao bao nhieu tien", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answerable"] is True
    assert data["results"][0]["code"] == "2.000815"
    assert {"code", "name", "score"} <= set(data["results"][0])


def test_search_batch_keeps_order_and_reports_bad_lines(real_knowledge, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"q": "đăng ký kết hôn"}\nnot json\n{"q": "tách hộ"}\n{"q": "' + "x" * 600 + '"}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["search", "--batch", str(batch), "--k", "3"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["q"] for line in lines][::2] == ["đăng ký kết hôn", "tách hộ"]
    assert lines[0]["results"][0]["code"] == "1.000894" and len(lines[0]["results"]) == 3
    assert "line 2" in lines[1]["error"]
    assert "too long" in lines[3]["error"]


def test_eval_retrieval_reports_per_form(real_knowledge, tmp_path: Path) -> None:
    questions = tmp_path / "eval.jsonl"
    rows = [
        {"q": "dang ky khai tu", "codes": ["1.000656"], "form": "vi-nodiac"},
        {"q": "temporary residence", "codes": ["1.004194"], "form": "en"},
        {"q": "giá vàng", "codes": [], "form": "oos"},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    result = runner.invoke(app, ["eval", "retrieval", str(questions), "--json", "--mode", "all"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"lexical", "dense", "fused"}
    fused = report["fused"]
    assert set(fused) == {"all", "vi-nodiac", "en", "oos"}
    assert fused["all"]["answerable"] == 2 and fused["all"]["oos"] == 1
    assert fused["vi-nodiac"]["recall_at_1"] == 1.0


def test_catalogue_validate_reports_problems_and_exits_non_zero(tmp_path: Path) -> None:
    folder = tmp_path / "cat" / "national"
    folder.mkdir(parents=True)
    (folder / "1.000001.yaml").write_text("code: '1.000001'\nname: X\n", encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "validate", str(tmp_path / "cat")])
    assert result.exit_code == 1
    assert "1.000001.yaml" in result.output and "[1.000001] name_en" in result.output
    ok = runner.invoke(app, ["catalogue", "validate"])
    assert ok.exit_code == 0 and "OK:" in ok.output


def test_search_refuses_empty_question(real_knowledge) -> None:
    result = runner.invoke(app, ["search", "   "])
    assert result.exit_code == 2 and "empty" in result.output
