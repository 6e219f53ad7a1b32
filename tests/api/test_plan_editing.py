"""Editing a draft plan over HTTP: measures, justifications, named risks, blockers, submitting."""

from core.clock import Semester, today
from core.services import iaps, signals

SEMESTER = Semester.current()


async def _draft(world) -> int:
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "material_conditions")
    return (await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)).id


async def test_a_draft_is_planned_over_http_until_nothing_blocks_it(api, world, token_for):
    teacher = {**await token_for(world.teacher_a), "Accept-Language": "en"}
    iap_id = await _draft(world)
    blockers = await api.get(f"/iaps/{iap_id}/blockers", headers=teacher)
    assert [(b["kind"], b["code"]) for b in blockers.json()] == [
        ("consent_missing", None),
        ("justification_missing", "economic"),
        ("risk_without_measure", "material_conditions"),
    ]
    assert blockers.json()[1]["text"] == "No justification for: Economic risks"

    months = SEMESTER.months()[:2]
    added = await api.post(
        f"/iaps/{iap_id}/measures",
        headers=teacher,
        json={
            "kind": "material",
            "support_type": "meals",
            "months": months,
            "risk_factors": ["material_conditions"],
        },
    )
    assert added.status_code == 201, added.text
    assert (added.json()["months"], added.json()["planned_quantity"]) == (months, "2.0")
    measure_url = f"/iaps/{iap_id}/measures/{added.json()['id']}"
    changed = await api.patch(measure_url, headers=teacher, json={"months": months[:1]})
    assert (changed.json()["months"], changed.json()["planned_quantity"]) == (months[:1], "1.0")
    hours = await api.patch(measure_url, headers=teacher, json={"planned_quantity": 3})
    assert hours.status_code == 422
    assert hours.json()["detail"] == "For material support, choose the months it covers."

    justified = await api.put(
        f"/iaps/{iap_id}/risks/economic",
        headers=teacher,
        json={"justification": "  No money\r\nfor lunch "},
    )
    assert justified.json() == {"group": "economic", "justification": "No money\nfor lunch"}
    consent = await api.post(
        f"/iaps/{iap_id}/consent",
        headers=teacher,
        json={"given": True, "method": "paper", "signed_on": today().isoformat()},
    )
    assert consent.status_code == 200
    assert (await api.get(f"/iaps/{iap_id}/blockers", headers=teacher)).json() == []
    plan = await api.get(f"/students/{world.student_a1.id}/iap", headers=teacher)
    assert plan.json()["justifications"] == [
        {"group": {"code": "economic", "label": "Economic risks"}, "text": "No money\nfor lunch"}
    ]

    submitted = await api.post(f"/iaps/{iap_id}/submit", headers=teacher)
    assert submitted.json()["status"] == "in_approval"
    late = await api.delete(measure_url, headers=teacher)
    assert late.status_code == 409
    assert late.json()["detail"].startswith("Only a draft can be changed")


async def test_submitting_names_what_blocks_the_plan(api, world, token_for):
    teacher = {**await token_for(world.teacher_a), "Accept-Language": "lv"}
    iap_id = await _draft(world)
    refused = await api.post(f"/iaps/{iap_id}/submit", headers=teacher)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Plānu vēl nevar iesniegt saskaņošanai: ")
    assert "Ekonomiskie riski" in refused.json()["detail"]


async def test_measures_are_removed_and_risks_named_by_the_preparer(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    iap_id = (await iaps.open_iap(world.teacher_a, world.student_a2.id, SEMESTER)).id
    named = await api.put(f"/iaps/{iap_id}/risk-factors/parents_abroad", headers=teacher)
    assert named.status_code == 204
    plan = (await api.get(f"/students/{world.student_a2.id}/iap", headers=teacher)).json()
    assert [(r["factor"]["code"], r["from_signals"]) for r in plan["risks"]] == [
        ("parents_abroad", False)
    ]
    measure = await iaps.add_measure(
        world.teacher_a,
        iap_id,
        kind="consultation",
        specialist_type="social_pedagogue",
        planned_quantity=4,
        risk_factors=["parents_abroad"],
    )
    linked = await api.delete(f"/iaps/{iap_id}/risk-factors/parents_abroad", headers=teacher)
    assert linked.status_code == 409
    gone = await api.delete(f"/iaps/{iap_id}/measures/{measure.id}", headers=teacher)
    assert gone.status_code == 204
    again = await api.delete(f"/iaps/{iap_id}/measures/{measure.id}", headers=teacher)
    assert again.status_code == 404
    taken_back = await api.delete(f"/iaps/{iap_id}/risk-factors/parents_abroad", headers=teacher)
    assert taken_back.status_code == 204
    unknown = await api.put(f"/iaps/{iap_id}/risk-factors/astrology", headers=teacher)
    assert unknown.status_code == 422


async def test_out_of_scope_and_missing_plans_answer_alike(api, world, token_for):
    iap_id = await _draft(world)
    measure = await iaps.add_measure(
        world.teacher_a,
        iap_id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=4,
        risk_factors=["material_conditions"],
    )
    other_school = await token_for(world.teacher_b)
    body = {"justification": "text"}
    for plan in (iap_id, 999_999):
        answers = [
            await api.put(f"/iaps/{plan}/risks/economic", headers=other_school, json=body),
            await api.patch(
                f"/iaps/{plan}/measures/{measure.id}",
                headers=other_school,
                json={"planned_quantity": 2},
            ),
            await api.delete(f"/iaps/{plan}/measures/{measure.id}", headers=other_school),
            await api.get(f"/iaps/{plan}/blockers", headers=other_school),
        ]
        assert [a.status_code for a in answers] == [404, 404, 404, 404]
    parent = await token_for(world.parent_a1)
    refused = await api.put(f"/iaps/{iap_id}/risks/economic", headers=parent, json=body)
    assert refused.status_code == 403


async def test_a_justification_is_text_within_limits(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    iap_id = await _draft(world)
    url = f"/iaps/{iap_id}/risks/economic"
    for wrong in ("", "x" * (iaps.JUSTIFICATION_LIMIT + 1), "Kavē \u202epirmdienās"):
        answer = await api.put(url, headers=teacher, json={"justification": wrong})
        assert answer.status_code == 422
        assert answer.json()["fields"][0]["field"] == "body.justification"
    unknown = await api.put(f"/iaps/{iap_id}/risks/astrology", headers=teacher, json=body_ok())
    assert unknown.status_code == 422


def body_ok() -> dict[str, str]:
    return {"justification": "Fine"}
