"""The HTTP API: authentication, language, bad input, and the main resources end to end."""

from datetime import timedelta

from core.clock import Semester, today
from storage.models import OutboxItem


async def test_healthz_and_docs(api):
    health = await api.get("/healthz")
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    docs = await api.get("/docs")
    assert docs.status_code == 200
    schema = (await api.get("/openapi.json")).json()
    assert "/students/{student_id}/iap" in schema["paths"]


async def test_no_token_or_a_bad_one_is_401_in_latvian_by_default(api, world):
    missing = await api.get("/students")
    assert missing.status_code == 401
    assert missing.json()["error"] == "unauthenticated"
    bad = await api.get("/students", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["detail"] != missing.json()["detail"]


async def test_catalogue_labels_follow_accept_language(api, world):
    lv = (await api.get("/catalogues")).json()
    ru = (await api.get("/catalogues", headers={"Accept-Language": "ru-RU,ru;q=0.9"})).json()
    factor_lv = {f["code"]: f["label"] for f in lv["risk_factors"]}
    factor_ru = {f["code"]: f["label"] for f in ru["risk_factors"]}
    assert factor_lv["unexcused_absences"] == "Neattaisnoti kavējumi"
    assert factor_ru["unexcused_absences"] == "Пропуски без уважительной причины"


async def test_teacher_logs_signal_and_reads_the_iap(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    created = await api.post(
        "/risk-signals",
        headers=teacher,
        json={"student_id": world.student_a1.id, "factor": "unexcused_absences", "value": 5},
    )
    assert created.status_code == 201, created.text
    assert created.json()["group"] == "learning"

    iap = await api.get(f"/students/{world.student_a1.id}/iap", headers=teacher)
    assert iap.status_code == 200
    body = iap.json()
    assert body["risks"][0]["factor"]["label"] == "Neattaisnoti kavējumi"
    assert body["risks"][0]["lessons_missed"] == 5
    assert body["gaps"][0]["kind"] == "no_plan"


async def test_bad_input_gets_a_clear_4xx(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    word = await api.post(
        "/risk-signals",
        headers=teacher,
        json={"student_id": world.student_a1.id, "factor": "unexcused_absences", "value": "many"},
    )
    assert word.status_code == 422
    assert word.json()["fields"][0]["field"] == "body.value"
    future = (today() + timedelta(days=2)).isoformat()
    ahead = await api.post(
        "/risk-signals",
        headers={**teacher, "Accept-Language": "en"},
        json={"student_id": world.student_a1.id, "factor": "health", "observed_to": future},
    )
    assert ahead.status_code == 422
    assert ahead.json()["detail"] == "The date cannot be in the future."
    unknown = await api.post(
        "/risk-signals",
        headers=teacher,
        json={"student_id": world.student_a1.id, "factor": "astrology"},
    )
    assert unknown.status_code == 422
    semester = await api.get(
        f"/students/{world.student_a1.id}/iap?semester=autumn", headers=teacher
    )
    assert semester.status_code == 422
    missing = await api.get("/students/999999", headers=teacher)
    assert missing.status_code == 404
    beyond = await api.get(f"/students/{2**31}", headers=teacher)  # no id is that large
    assert beyond.status_code == 422
    huge = await api.post(
        "/risk-signals", headers=teacher, json={"student_id": 2**40, "factor": "health"}
    )
    assert huge.status_code == 422
    ancient = await api.post(
        "/risk-signals",
        headers={**teacher, "Accept-Language": "en"},
        json={
            "student_id": world.student_a1.id,
            "factor": "unexcused_absences",
            "value": 2,
            "observed_from": "0001-01-01",
            "observed_to": "0001-01-05",
        },
    )
    assert ancient.status_code == 422
    assert ancient.json()["detail"] == "The date is more than a year ago."
    not_json = await api.post(
        "/consultations", headers={**teacher, "Content-Type": "application/json"}, content=b"{"
    )
    assert not_json.status_code == 422


async def test_roster_import_is_all_or_nothing(api, world, token_for):
    coordinator = await token_for(world.coordinator_a)
    url = f"/schools/{world.school_a.id}/roster"
    csv_headers = {**coordinator, "Content-Type": "text/csv", "Accept-Language": "en"}
    before = len(
        (await api.get(f"/students?school_id={world.school_a.id}", headers=coordinator)).json()
    )

    bad = "student_ref,class,first_name,last_name\nEK-1,9.c,Liga,Zvaigzne\nEK-2,9.c,OnlyOne\n"
    refused = await api.post(url, headers=csv_headers, content=bad.encode())
    assert refused.status_code == 422
    assert "Line 3" in refused.json()["detail"]
    after_bad = await api.get(f"/students?school_id={world.school_a.id}", headers=coordinator)
    assert len(after_bad.json()) == before
    classes = await api.get(f"/schools/{world.school_a.id}/classes", headers=coordinator)
    assert "9.c" not in {c["name"] for c in classes.json()}

    good = "student_ref,class,first_name,last_name,family_language\nEK-1,9.c,Liga,Zvaigzne,lv\n"
    good += "EK-2,9.c,Oleg,Sokolov,ru\n"
    imported = await api.post(f"{url}?partial=true", headers=csv_headers, content=good.encode())
    assert imported.status_code == 200, imported.text
    assert (imported.json()["added"], imported.json()["classes_created"]) == (2, 1)
    found = await api.get("/students?search=Sokol", headers=coordinator)
    assert [s["last_name"] for s in found.json()] == ["Sokolov"]

    teacher = await token_for(world.teacher_a)
    denied = await api.post(
        url, headers={**teacher, "Content-Type": "text/csv"}, content=good.encode()
    )
    assert denied.status_code == 403


async def test_iap_lifecycle_over_http(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    parent = await token_for(world.parent_a1)
    school = await token_for(world.coordinator_a)
    municipality = await token_for(world.coordinator_m1)
    a1 = world.student_a1.id
    await api.post(
        "/risk-signals", headers=teacher, json={"student_id": a1, "factor": "low_motivation"}
    )
    opened = await api.post("/iaps", headers=teacher, json={"student_id": a1})
    assert opened.status_code == 201
    iap_id = opened.json()["id"]
    again = await api.post("/iaps", headers=teacher, json={"student_id": a1})
    assert again.status_code == 409

    measure = await api.post(
        f"/iaps/{iap_id}/measures",
        headers=teacher,
        json={
            "kind": "consultation",
            "specialist_type": "psychologist",
            "planned_quantity": 4,
            "risk_factors": ["low_motivation"],
        },
    )
    assert measure.status_code == 201
    early = await api.post(f"/iaps/{iap_id}/submit", headers=teacher)
    assert early.status_code == 409  # no consent yet, no justification
    justified = await api.put(
        f"/iaps/{iap_id}/risks/learning",
        headers=teacher,
        json={"justification": "Skips lessons he finds hard"},
    )
    assert justified.status_code == 200
    asked = await api.post(f"/iaps/{iap_id}/consent-request", headers=teacher)
    assert asked.status_code == 202
    assert await OutboxItem.filter(kind="consent_request", recipient_id=world.parent_a1.id).exists()
    consent = await api.post(f"/iaps/{iap_id}/consent", headers=parent, json={"given": True})
    assert consent.json()["consent"] == "given"
    assert (await api.post(f"/iaps/{iap_id}/submit", headers=teacher)).status_code == 200
    wrong_turn = await api.post(f"/iaps/{iap_id}/approve", headers=municipality)
    assert wrong_turn.status_code == 403  # the school signs first
    assert (await api.post(f"/iaps/{iap_id}/approve", headers=school)).json()["status"] == (
        "in_approval"
    )
    approved = await api.post(f"/iaps/{iap_id}/approve", headers=municipality)
    assert approved.json()["status"] == "approved"
    started = await api.post(
        f"/iaps/{iap_id}/move", headers=teacher, json={"status": "in_progress"}
    )
    assert started.json()["status"] == "in_progress"
    no_reason = await api.post(f"/iaps/{iap_id}/move", headers=teacher, json={"status": "paused"})
    assert no_reason.status_code == 422

    plan = (await api.get(f"/students/{a1}/iap", headers=parent)).json()
    assert plan["status"]["label"] == "Īstenošanā"
    assert [h["to"]["code"] for h in plan["history"]] == [
        "draft",
        "in_approval",
        "approved",
        "in_progress",
    ]
    school_plans = await api.get(f"/schools/{world.school_a.id}/iaps", headers=school)
    assert [p["student"]["id"] for p in school_plans.json()] == [a1]
    semester = Semester.current().label
    assert (
        await api.get(f"/schools/{world.school_a.id}/iaps?semester={semester}", headers=school)
    ).status_code == 200
