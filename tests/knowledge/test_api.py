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


def test_full_record_is_the_catalogue_record_with_its_province(settings, real_knowledge) -> None:
    catalogue = real_knowledge.catalogue
    with _client(settings, real_knowledge) as client:
        for province in (None, "96"):
            params = {"province": province} if province else {}
            body = client.get("/api/procedures/1.004873", params=params).json()
            expected = catalogue.get("1.004873", province).model_dump(mode="json")
            expected |= {"province": province, "province_name": catalogue.province_name(province)}
            assert body == expected
            assert list(body) == list(expected)


def test_full_record_schema_documents_its_fields(settings, real_knowledge) -> None:
    with _client(settings, real_knowledge) as client:
        schema = client.get("/openapi.json").json()
    ok = schema["paths"]["/api/procedures/{code}"]["get"]["responses"]["200"]
    name = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][name]["properties"]
    for field in ("code", "name", "documents", "fees", "source_url", "province", "province_name"):
        assert field in properties
    assert "overrides" in properties["province_name"]["description"]


def test_too_long_question_gets_a_clear_error(settings, real_knowledge) -> None:
    with _client(settings, real_knowledge) as client:
        response = client.get("/api/procedures/search", params={"q": "khai sinh " * 80})
    assert response.status_code == 422
    assert "too long" in response.json()["detail"]


def test_full_records_without_a_time_or_a_legal_basis_say_why(settings, real_knowledge) -> None:
    with _client(settings, real_knowledge) as client:
        province_sets = client.get("/api/procedures/1.115148")
        no_basis = client.get("/api/procedures/3.000165")
    assert province_sets.status_code == 200 and no_basis.status_code == 200
    body = province_sets.json()
    assert body["no_time"] == "set_by_province" and body["time"] is None
    assert all(channel["time"] is None for channel in body["channels"])
    body = no_basis.json()
    assert body["legal_basis"] == [] and body["no_legal_basis_reason"]
    assert body["verified"] is False
