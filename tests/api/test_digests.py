"""The digest over HTTP: figures and text in the caller's language, the chart, bad requests."""

from datetime import UTC, date, datetime, timedelta

from core.clock import RIGA, today
from storage.models import RiskSignal

WEEK = date(2026, 11, 9)


async def log_signal(api, headers, student_id: int, factor: str, logged: datetime) -> None:
    created = await api.post(
        "/risk-signals", headers=headers, json={"student_id": student_id, "factor": factor}
    )
    assert created.status_code == 201, created.text
    day = logged.astimezone(RIGA).date()
    await RiskSignal.filter(id=created.json()["id"]).update(
        created_at=logged.astimezone(UTC), observed_from=day, observed_to=day
    )


def riga(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=RIGA)


async def test_a_school_digest_in_russian(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    await log_signal(api, teacher, world.student_a1.id, "behaviour", riga(WEEK + timedelta(2)))
    await log_signal(api, teacher, world.student_a2.id, "health", riga(WEEK + timedelta(6), 23))
    await log_signal(api, teacher, world.student_a2.id, "health", riga(WEEK - timedelta(3)))
    coordinator = await token_for(world.coordinator_a)

    answer = await api.get(
        f"/digests/school-{world.school_a.id}",
        params={"week": "2026-11-12"},  # a Thursday: read as its week
        headers=coordinator | {"Accept-Language": "ru-RU,ru;q=0.9"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["scope"] == f"school-{world.school_a.id}"
    assert body["week"] == {"start": "2026-11-09", "end": "2026-11-15"}
    assert body["semester"] == "2026/27-1"
    assert body["figures"]["signals"] == 2
    assert body["figures"]["signals_by_group"]["social_health"] == 1
    assert body["previous"]["signals"] == 1
    assert body["figures"]["at_risk_without_plan"] == 2
    assert body["figures"]["newly_at_risk"] == 1
    assert body["schools"] == []
    assert body["text"].startswith("Недельная сводка: Ezerkalnes vidusskola\n")
    assert "• 2 новых сигнала риска (+1)" in body["text"]


async def test_a_municipality_digest_in_latvian_by_default(api, world, token_for):
    coordinator = await token_for(world.coordinator_m1)
    answer = await api.get(
        f"/digests/municipality-{world.m1.id}", params={"week": "2026-11-09"}, headers=coordinator
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [school["name"] for school in body["schools"]] == [
        "Ezerkalnes tehnikums",
        "Ezerkalnes vidusskola",
        "Liepu pamatskola",
    ]
    assert body["figures"]["youth_activities"]["activities"] == 0
    assert "Jaunu riska signālu nav." in body["text"]
    assert "Pa skolām:" in body["text"]


async def test_the_week_defaults_to_this_one(api, world, token_for):
    coordinator = await token_for(world.coordinator_a)
    answer = await api.get(f"/digests/school-{world.school_a.id}", headers=coordinator)
    assert answer.status_code == 200
    monday = today() - timedelta(days=today().weekday())
    assert answer.json()["week"]["start"] == monday.isoformat()


async def test_bad_scope_or_week_is_422_in_the_caller_s_language(api, world, token_for):
    coordinator = await token_for(world.coordinator_m1)
    paths = ("/digests/class-1", "/digests/school-x", "/digests/school", "/digests/m-1")
    for path in (*paths, "/digests/school-²", "/digests/school-١"):  # digits, not ASCII ones
        answer = await api.get(path, headers=coordinator)
        assert answer.status_code == 422, path
        assert answer.json()["error"] == "invalid_input"
    for week in ("2026-13-01", "yesterday", "11.11.2026", "0001-01-01", "9999-12-31"):
        answer = await api.get(
            f"/digests/school-{world.school_a.id}",
            params={"week": week},
            headers=coordinator | {"Accept-Language": "lv"},
        )
        assert answer.status_code == 422, week
        assert answer.json()["detail"] == "Norādiet nedēļu ar datumu formātā GGGG-MM-DD."
        chart = await api.get(
            f"/digests/school-{world.school_a.id}/chart.png",
            params={"week": week},
            headers=coordinator,
        )
        assert chart.status_code == 422
    answer = await api.get("/digests/planet-1", headers=coordinator | {"Accept-Language": "ru"})
    assert answer.json()["detail"] == "Укажите область как school-<id> или municipality-<id>."


async def test_only_coordinators_of_the_scope(api, world, token_for):
    assert (await api.get(f"/digests/school-{world.school_a.id}")).status_code == 401
    teacher = await token_for(world.teacher_a)
    denied = await api.get(f"/digests/school-{world.school_a.id}", headers=teacher)
    assert denied.status_code == 403
    other = await token_for(world.coordinator_m2)
    # another municipality's scopes answer as ones that do not exist
    assert (await api.get(f"/digests/municipality-{world.m1.id}", headers=other)).status_code == 404
    chart = await api.get(f"/digests/school-{world.school_a.id}/chart.png", headers=other)
    assert chart.status_code == 404
    missing = await api.get("/digests/school-99999", headers=other)
    assert (missing.status_code, missing.json()) == (chart.status_code, chart.json())


async def test_the_chart_is_a_png(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    await log_signal(api, teacher, world.student_a1.id, "behaviour", riga(WEEK))
    coordinator = await token_for(world.coordinator_m1)
    answer = await api.get(
        f"/digests/municipality-{world.m1.id}/chart.png",
        params={"week": "2026-11-15"},
        headers=coordinator | {"Accept-Language": "uk"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_the_endpoints_are_documented(api):
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert "/digests/{scope}" in paths
    assert "image/png" in paths["/digests/{scope}/chart.png"]["get"]["responses"]["200"]["content"]
