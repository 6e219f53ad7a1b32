"""Over HTTP: a leaver is off the school's list but readable by id; moving a student."""

ROSTER_A = b"student_ref,class,first_name,last_name\nEK-1,7.a,Anna,Kalnina\nEK-2,7.a,Janis,Ozols\n"


async def test_a_leaver_is_off_the_list_and_their_records_stay_readable(api, world, token_for):
    coordinator = await token_for(world.coordinator_a)
    await api.post(
        "/risk-signals",
        headers=coordinator,
        json={"student_id": world.student_a3.id, "factor": "health"},
    )
    imported = await api.post(
        f"/schools/{world.school_a.id}/roster",
        headers={**coordinator, "Content-Type": "text/csv"},
        content=ROSTER_A,
    )
    assert imported.json()["left"] == 1 and imported.json()["refs"]["left"] == []  # had no ref
    listed = await api.get(f"/students?school_id={world.school_a.id}", headers=coordinator)
    assert [s["student_ref"] for s in listed.json()] == ["EK-1", "EK-2"]
    assert (await api.get("/students?search=Liepa", headers=coordinator)).json() == []

    marta = await api.get(f"/students/{world.student_a3.id}", headers=coordinator)
    assert marta.status_code == 200 and marta.json()["left_at"] is not None
    records = await api.get(f"/students/{world.student_a3.id}/risk-signals", headers=coordinator)
    assert [r["factor"] for r in records.json()] == ["health"]


async def test_a_municipality_coordinator_moves_a_student(api, world, token_for):
    url = f"/students/{world.student_a3.id}/move"
    body = {"to_school_id": world.school_b.id, "class_name": "8.a", "student_ref": "LP-8"}
    refused = await api.post(url, headers=await token_for(world.coordinator_a), json=body)
    assert refused.status_code == 403
    moved = await api.post(url, headers=await token_for(world.coordinator_m1), json=body)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["school_id"], moved.json()["student_ref"]) == (world.school_b.id, "LP-8")
    old_school = await api.get(
        f"/students/{world.student_a3.id}", headers=await token_for(world.teacher_a)
    )
    assert old_school.status_code == 404
    new_school = await api.get(
        f"/students?school_id={world.school_b.id}", headers=await token_for(world.teacher_b)
    )
    assert world.student_a3.id in [s["id"] for s in new_school.json()]

    code = {**body, "to_school_id": world.school_a.id, "student_ref": "010203-12345"}
    refused = await api.post(url, headers=await token_for(world.coordinator_m1), json=code)
    assert refused.status_code == 422
