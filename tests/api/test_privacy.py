"""Privacy over HTTP: tokens that expire and can be revoked, exports, the access log."""

from datetime import timedelta

from core.clock import now
from core.services.people import create_api_token
from storage.models import ApiToken
from tests.core.test_privacy import NOTE, full_history


async def bearer(person_id: int, days: int = 90) -> dict[str, str]:
    return {"Authorization": f"Bearer {await create_api_token(person_id, days)}"}


# --- tokens ---------------------------------------------------------------------------------


async def test_an_expired_token_is_refused(api, world):
    headers = await bearer(world.teacher_a.id, days=30)
    assert (await api.get("/me", headers=headers)).status_code == 200
    await ApiToken.all().update(expires_at=now() - timedelta(seconds=1))
    refused = await api.get("/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthenticated"


async def test_a_token_lives_the_days_it_was_issued_for(world):
    await create_api_token(world.teacher_a.id, days=30)
    token = await ApiToken.get(person_id=world.teacher_a.id)
    lifetime = token.expires_at - token.created_at
    assert timedelta(days=30) - timedelta(minutes=1) < lifetime <= timedelta(days=30)


async def test_a_person_revokes_their_own_token_and_it_stops_working(api, world):
    headers = await bearer(world.teacher_a.id)
    token = await ApiToken.get(person_id=world.teacher_a.id)
    assert (await api.delete(f"/tokens/{token.id}", headers=headers)).status_code == 204
    assert (await api.get("/me", headers=headers)).status_code == 401


async def test_someone_elses_token_cannot_be_revoked_and_looks_missing(api, world):
    mine = await bearer(world.teacher_a.id)
    await create_api_token(world.teacher_b.id)
    theirs = await ApiToken.get(person_id=world.teacher_b.id)
    other = await api.delete(f"/tokens/{theirs.id}", headers=mine)
    missing = await api.delete("/tokens/999999", headers=mine)
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert (await ApiToken.get(id=theirs.id)).revoked_at is None


async def test_a_tokens_use_is_noted(api, world):
    headers = await bearer(world.teacher_a.id)
    assert (await ApiToken.get(person_id=world.teacher_a.id)).last_used_at is None
    await api.get("/me", headers=headers)
    used = (await ApiToken.get(person_id=world.teacher_a.id)).last_used_at
    assert used is not None and now() - used < timedelta(minutes=1)


# --- the read audit and the access log ------------------------------------------------------


async def test_reads_over_http_show_in_the_access_log(api, world):
    teacher = await bearer(world.teacher_a.id)
    student = world.student_a1.id
    for path in ("", "/iap", "/risk-signals", "/consultations", "/support-needs"):
        assert (await api.get(f"/students/{student}{path}", headers=teacher)).status_code == 200
    coordinator = await bearer(world.coordinator_a.id)
    log = await api.get(f"/students/{student}/access-log", headers=coordinator)
    assert log.status_code == 200
    assert [(line["person_name"], line["what"]) for line in log.json()] == [
        ("Teacher A", "support_needs"),
        ("Teacher A", "consultations"),
        ("Teacher A", "risk_signals"),
        ("Teacher A", "plan"),
        ("Teacher A", "student"),
    ]
    assert all(line["person_id"] == world.teacher_a.id for line in log.json())


async def test_the_access_log_of_a_student_out_of_scope_looks_missing(api, world):
    missing = await api.get(
        "/students/999999/access-log", headers=await bearer(world.coordinator_a.id)
    )
    assert missing.status_code == 404
    for reader in (world.teacher_a, world.coordinator_m2, world.parent_a1):
        answer = await api.get(
            f"/students/{world.student_a1.id}/access-log", headers=await bearer(reader.id)
        )
        assert answer.status_code == 404
        assert answer.json() == missing.json()


# --- right of access ------------------------------------------------------------------------


async def test_a_coordinator_exports_a_student_in_their_language(api, world):
    await full_history(world)
    headers = await bearer(world.coordinator_a.id) | {"Accept-Language": "uk"}
    export = await api.get(f"/students/{world.student_a1.id}/export", headers=headers)
    assert export.status_code == 200
    data = export.json()
    assert data["student"]["last_name"] == "Kalnina"
    assert data["consultations"][0]["mode"]["label"] == "Дистанційно"
    assert data["risk_signals"][0]["note"] == NOTE
    reader = await api.get(
        f"/students/{world.student_a1.id}/export", headers=await bearer(world.teacher_a.id)
    )
    assert reader.status_code == 404
