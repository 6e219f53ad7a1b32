"""The API's contract: its document tells the truth, every failure has one JSON shape, /docs works
with no internet."""

import re
from urllib.parse import urlparse


async def test_docs_load_nothing_from_elsewhere(api):
    for page in ("/docs", "/redoc"):
        html = (await api.get(page)).text
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)
        assets = [url for url in urls if url.endswith((".js", ".css", ".png"))]
        assert assets, page
        for url in urls:
            assert not urlparse(url).netloc, f"{page} loads {url}"
        for url in assets:
            assert (await api.get(url)).status_code == 200, url


async def test_starlette_s_own_answers_are_json_in_the_caller_s_language(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    unknown = await api.get("/nowhere", headers={"Accept-Language": "ru"})
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "not_found", "detail": "Не найдено."}
    method = await api.put("/peer-activities", headers=teacher | {"Accept-Language": "en"})
    assert method.status_code == 405
    assert method.json()["error"] == "method_not_allowed"
    assert method.headers["allow"] == "GET, POST"
    unreadable = await api.post(
        "/risk-signals",
        headers=teacher | {"Content-Type": "application/json", "Accept-Language": "en"},
        content=b'{"student_id": "\xff"}',
    )
    assert unreadable.status_code == 400
    assert unreadable.json() == {"error": "bad_request", "detail": "The request could not be read."}


async def test_every_status_an_operation_answers_is_documented_with_its_shape(api):
    document = (await api.get("/openapi.json")).json()
    assert set(document["components"]["schemas"]["ErrorOut"]["required"]) == {"error", "detail"}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            answers = operation["responses"]
            expected = set()
            if operation.get("security"):
                expected.add("401")
            if "{" in path:
                expected |= {"404", "422"}
            if "requestBody" in operation:
                expected |= {"400", "413", "422"}
            assert expected <= set(answers), (method, path)
            for status, answer in answers.items():
                if status.startswith(("4", "5")):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)


async def test_the_document_lists_the_codes_a_field_takes(api):
    schemas = (await api.get("/openapi.json")).json()["components"]["schemas"]
    assert "unexcused_absences" in schemas["RiskSignalIn"]["properties"]["factor"]["enum"]
    assert schemas["ConsultationIn"]["properties"]["mode"]["enum"] == ["in_person", "remote"]
    assert "municipality_coordinator" in schemas["InviteIn"]["properties"]["role"]["enum"]
    assert "paused" in schemas["MoveIn"]["properties"]["status"]["enum"]
    iap_semester = schemas["IapIn"]["properties"]["semester"]["anyOf"][0]
    assert re.fullmatch(iap_semester["pattern"], "2026/27-1")


async def test_an_unexpected_error_is_a_500_in_the_shape_and_logs_no_data(caplog):
    import httpx

    from api.app import create_app

    app = create_app(manage_database=False)

    async def broken(search: str) -> None:
        raise RuntimeError(f"no student called {search}")  # a message that carries data

    app.add_api_route("/broken", broken)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/broken?search=Anna", headers={"Accept-Language": "lv"})
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal",
        "detail": "Mūsu pusē radās kļūda. Lūdzu, mēģiniet vēlreiz.",
    }
    assert "RuntimeError" in caplog.text
    assert "Anna" not in caplog.text
