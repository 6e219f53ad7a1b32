"""The plan's rules over HTTP: consent with its evidence, and what a parent may read."""

from datetime import timedelta

from core.clock import today


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
