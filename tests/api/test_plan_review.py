"""The review over HTTP: each measure rated, then the risk situation, close or continue."""

from core.services import iaps
from storage.models import IapMeasure
from tests.world import submitted_plan


async def test_a_plan_is_reviewed_measure_by_measure_over_http(api, world, token_for):
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    await iaps.approve_iap(world.coordinator_a, iap.id)
    await iaps.approve_iap(world.coordinator_m1, iap.id)
    teacher = await token_for(world.teacher_a)
    measures = await IapMeasure.filter(iap_id=iap.id).order_by("id")
    url = f"/iaps/{iap.id}/measures/{measures[0].id}/evaluation"

    early = await api.put(url, headers=teacher, json={"realised": "full"})
    assert early.status_code == 409
    await iaps.move_iap(world.teacher_a, iap.id, "in_progress")
    moved = await api.post(f"/iaps/{iap.id}/move", headers=teacher, json={"status": "in_progress"})
    assert (moved.status_code, moved.json()["detail"]) == (409, "Plāns jau tiek īstenots.")
    await iaps.move_iap(world.teacher_a, iap.id, "under_review")

    wrong = await api.put(url, headers=teacher, json={"realised": "mostly"})
    assert wrong.status_code == 422
    parent = await api.put(url, headers=await token_for(world.parent_a1), json={"realised": "full"})
    assert parent.status_code == 403
    other = await api.put(
        f"/iaps/{iap.id}/measures/999999/evaluation", headers=teacher, json={"realised": "full"}
    )
    assert other.status_code == 404
    rated = await api.put(url, headers=teacher, json={"realised": "partly", "note": "Half"})
    assert rated.status_code == 200
    assert rated.json() == {
        "id": measures[0].id,
        "iap_id": iap.id,
        "realised": "partly",
        "evaluation_note": "Half",
    }

    review = {"risk_outcome": "reduced", "continues": True}
    unrated = await api.post(f"/iaps/{iap.id}/review", headers=teacher, json=review)
    assert unrated.status_code == 409
    second = f"/iaps/{iap.id}/measures/{measures[1].id}/evaluation"
    assert (await api.put(second, headers=teacher, json={"realised": "full"})).status_code == 200
    bad = await api.post(
        f"/iaps/{iap.id}/review", headers=teacher, json=review | {"risk_outcome": "better"}
    )
    assert bad.status_code == 422
    done = await api.post(f"/iaps/{iap.id}/review", headers=teacher, json=review)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["iap"]["risk_outcome"] == "reduced"
    assert body["continued_as"]["consent"] == "missing"
    assert body["continued_as"]["continued_from_id"] == iap.id

    plan = (await api.get(f"/students/{world.student_a1.id}/iap", headers=teacher)).json()
    assert plan["risk_outcome"]["code"] == "reduced"
    assert plan["measures"][0]["evaluation"] == {
        "realised": {"code": "partly", "label": "Īstenots daļēji"},
        "note": "Half",
    }
    catalogues = (await api.get("/catalogues", headers=teacher)).json()
    assert [e["code"] for e in catalogues["risk_outcomes"]] == ["reduced", "unchanged", "worse"]
