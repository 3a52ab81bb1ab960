from fastapi.testclient import TestClient

from connectors.web.app import create_app


def _client(settings, knowledge) -> TestClient:
    return TestClient(create_app(settings, knowledge=knowledge))


def test_search_endpoint(settings, real_knowledge) -> None:
    with _client(settings, real_knowledge) as client:
        response = client.get("/api/procedures/search", params={"q": "nhap ho khau", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["answerable"] and body["results"][0]["code"] == "1.004222"
    assert len(body["results"]) == 3


def test_full_record_with_province_overlay(settings, real_knowledge) -> None:
    with _client(settings, real_knowledge) as client:
        national = client.get("/api/procedures/1.004873").json()
        local = client.get("/api/procedures/1.004873", params={"province": "96"}).json()
        missing = client.get("/api/procedures/9.999999")
        bad = client.get("/api/procedures/search", params={"q": "x" * 3000})
    assert national["code"] == "1.004873" and national["source_url"].startswith("https://")
    assert local["province_name"] == "Tỉnh Cà Mau" and local["agency"] != national["agency"]
    assert missing.status_code == 404 and missing.json()["error"] == "ProcedureNotFound"
    assert bad.status_code == 422


def test_too_long_question_gets_a_clear_error(settings, real_knowledge) -> None:
    with _client(settings, real_knowledge) as client:
        response = client.get("/api/procedures/search", params={"q": "khai sinh " * 80})
    assert response.status_code == 422
    assert "too long" in response.json()["detail"]
