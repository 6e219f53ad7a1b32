"""The plan's rules over HTTP: consent with its evidence, and what a parent may read."""

from datetime import timedelta

from core.clock import today
from tests.staff_words import (
    COMMENT,
    EVALUATION,
    MEASURE_NOTE,
    PAUSE,
    STAFF_WORDS,
    plan_with_staff_words,
)


async def test_staff_enter_consent_with_the_form_and_the_plan_shows_it(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    a2 = world.student_a2.id
    iap_id = (await api.post("/iaps", headers=teacher, json={"student_id": a2})).json()["id"]

    bare = await api.post(f"/iaps/{iap_id}/consent", headers=teacher, json={"given": True})
    assert bare.status_code == 422
    assert bare.json()["error"] == "invalid_input"

    signed = (today() - timedelta(days=1)).isoformat()
    given = await api.post(
        f"/iaps/{iap_id}/consent",
        headers=teacher,
        json={"given": True, "method": "paper", "signed_on": signed},
    )
    assert given.status_code == 200
    body = given.json()
    assert (body["consent"], body["consent_method"], body["consent_signed_on"]) == (
        "given",
        "paper",
        signed,
    )
    assert body["consent_by_id"] == world.teacher_a.id and body["consent_at"]

    plan = (await api.get(f"/students/{a2}/iap", headers=teacher)).json()
    assert plan["consent_record"]["method"]["code"] == "paper"
    assert plan["consent_record"]["signed_on"] == signed
    assert plan["consent_record"]["recorded_by"] == "Teacher A"


async def test_a_parent_reads_the_plan_without_staff_words(api, world, token_for):
    await plan_with_staff_words(world)
    url = f"/students/{world.student_a1.id}/iap"

    staff = await api.get(url, headers=await token_for(world.teacher_a))
    assert staff.status_code == 200
    for words in (COMMENT, PAUSE, EVALUATION, MEASURE_NOTE):
        assert words in staff.text
    assert staff.json()["consent_record"]["recorded_by"] == "Parent A1"
    assert staff.json()["risk_outcome"]["code"] == "worse"
    assert staff.json()["measures"][0]["evaluation"]["realised"]["code"] == "partly"

    parent = await api.get(url, headers=await token_for(world.parent_a1))
    assert parent.status_code == 200
    for words in STAFF_WORDS:
        assert words not in parent.text
    plan = parent.json()
    assert plan["status"]["code"] == "paused"
    assert [risk["factor"]["code"] for risk in plan["risks"]] == ["behaviour"]
    [measure] = plan["measures"]
    assert (measure["planned"], measure["sessions"], measure["hours"]) == (6.0, 1, 0.75)
    assert [step["to"]["code"] for step in plan["history"]][-1] == "paused"
    assert plan["consent_record"]["method"]["code"] == "online"
    assert plan["consent_record"]["recorded_by"] is None
    assert plan["pause_reason"] is None and plan["evaluation"] is None and plan["gaps"] == []
    assert plan["risk_outcome"] is None and measure["evaluation"] is None


async def test_a_parent_cannot_read_a_schools_plans(api, world, token_for):
    await plan_with_staff_words(world)
    url = f"/schools/{world.school_a.id}/iaps"
    assert (await api.get(url, headers=await token_for(world.coordinator_a))).status_code == 200
    refused = await api.get(url, headers=await token_for(world.parent_a1))
    assert refused.status_code in (403, 404)
    assert "Kalnina" not in refused.text
