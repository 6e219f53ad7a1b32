"""Programme administration over HTTP: the administrator's routes, a school's own settings and
holidays for its coordinators, and no student data for the administrator anywhere."""

import pytest

from storage.models import AuditEvent, Invite, Municipality, School, SchoolHoliday
from tests.api.test_scope import PROBES, as_id, filled, is_national, records_of

CSV = {"Content-Type": "text/csv"}
SCHOOLS = (
    "municipality,school,kind,state_vocational\n"
    "Kalnciema novads,Kalnciema vidusskola,general,no\n"
    "Kalnciema novads,Kalnciema tehnikums,vocational,yes\n"
)


@pytest.fixture
async def as_admin(world, token_for):
    return await token_for(world.admin) | {"Accept-Language": "en"}


async def test_the_administrator_builds_a_municipality_with_a_school_an_ngo_and_invites(
    api, as_admin
):
    created = await api.post("/municipalities", headers=as_admin, json={"name": "Kalnu novads"})
    assert created.status_code == 201, created.text
    municipality = created.json()["id"]
    again = await api.post("/municipalities", headers=as_admin, json={"name": "kalnu novads"})
    assert again.status_code == 409
    renamed = await api.patch(
        f"/municipalities/{municipality}", headers=as_admin, json={"name": "Kalnu pagasts"}
    )
    assert renamed.json() == {"id": municipality, "name": "Kalnu pagasts"}
    listed = await api.get("/municipalities", headers=as_admin)
    assert "Kalnu pagasts" in [m["name"] for m in listed.json()]

    school = await api.post(
        "/schools",
        headers=as_admin,
        json={"municipality_id": municipality, "name": "Kalnu tehnikums", "kind": "vocational"},
    )
    assert school.status_code == 201, school.text
    assert school.json() | {"id": 0} == {
        "id": 0,
        "name": "Kalnu tehnikums",
        "kind": "vocational",
        "state_vocational": False,
        "municipality_id": municipality,
        "lessons_per_day": None,
        "absence_caution_percent": None,
        "absence_high_percent": None,
        "absence_window_days": None,
    }
    school_id = school.json()["id"]
    edited = await api.patch(
        f"/schools/{school_id}",
        headers=as_admin,
        json={"state_vocational": True, "absence_caution_percent": 6.5, "lessons_per_day": 8},
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["state_vocational"], body["absence_caution_percent"], body["lessons_per_day"]) == (
        True,
        6.5,
        8,
    )
    back = await api.patch(
        f"/schools/{school_id}", headers=as_admin, json={"absence_caution_percent": None}
    )
    assert back.json()["absence_caution_percent"] is None
    assert back.json()["lessons_per_day"] == 8  # not given: unchanged
    schools = await api.get(f"/municipalities/{municipality}/schools", headers=as_admin)
    assert [s["name"] for s in schools.json()] == ["Kalnu tehnikums"]

    ngo = await api.post(
        "/ngos", headers=as_admin, json={"municipality_id": municipality, "name": "Kalnu jauniesi"}
    )
    assert ngo.status_code == 201, ngo.text
    moved = await api.patch(f"/ngos/{ngo.json()['id']}", headers=as_admin, json={"name": "Tilts"})
    assert moved.json()["name"] == "Tilts"
    assert "Tilts" in [n["name"] for n in (await api.get("/ngos", headers=as_admin)).json()]

    invite = await api.post(f"/schools/{school_id}/coordinator-invites", headers=as_admin)
    assert invite.status_code == 201, invite.text
    assert invite.json()["role"] == "school_coordinator"
    municipal = await api.post(
        f"/municipalities/{municipality}/coordinator-invites", headers=as_admin
    )
    assert municipal.json()["role"] == "municipality_coordinator"
    stored = await Invite.filter(school_id=school_id).values_list("role", flat=True)
    assert stored == ["school_coordinator"]


async def test_settings_out_of_range_are_refused_by_field(api, world, as_admin):
    for body in (
        {"lessons_per_day": 11},
        {"absence_window_days": 6},
        {"absence_high_percent": 100.5},
        {"absence_caution_percent": 0},
        {"absence_caution_percent": 4.55},
        {"kind": "university"},
    ):
        refused = await api.patch(f"/schools/{world.school_a.id}", headers=as_admin, json=body)
        assert refused.status_code == 422, body
    crossed = await api.patch(
        f"/schools/{world.school_a.id}", headers=as_admin, json={"absence_caution_percent": 10}
    )
    assert crossed.status_code == 422
    assert crossed.json()["detail"] == (
        "The caution threshold (10.0 %) must be below the high-risk threshold (10 %)."
    )
    assert (await School.get(id=world.school_a.id)).absence_caution_percent is None


async def test_a_school_s_coordinators_set_its_calendar_and_its_staff_read_it(
    api, world, token_for
):
    coordinator = await token_for(world.coordinator_a) | {"Accept-Language": "en"}
    teacher = await token_for(world.teacher_a) | {"Accept-Language": "en"}
    path = f"/schools/{world.school_a.id}"
    assert (
        await api.patch(path, headers=coordinator, json={"absence_window_days": 21})
    ).status_code == 200
    assert (await api.patch(path, headers=coordinator, json={"name": "Cita"})).status_code == 403
    assert (await api.patch(path, headers=teacher, json={"lessons_per_day": 5})).status_code == 403
    holiday = await api.post(
        f"{path}/holidays",
        headers=coordinator,
        json={"first_day": "2027-03-15", "last_day": "2027-03-19", "name": "Pavasara nedela"},
    )
    assert holiday.status_code == 201, holiday.text
    clash = await api.post(
        f"{path}/holidays",
        headers=coordinator,
        json={"first_day": "2027-03-15", "last_day": "2027-03-16"},
    )
    assert clash.status_code == 409
    backwards = await api.post(
        f"{path}/holidays",
        headers=coordinator,
        json={"first_day": "2027-03-19", "last_day": "2027-03-15"},
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"] == "A holiday's last day cannot be before its first day."
    listed = await api.get(f"{path}/holidays", headers=teacher)
    assert [(h["first_day"], h["name"]) for h in listed.json()] == [
        ("2027-03-15", "Pavasara nedela")
    ]
    holiday_id = holiday.json()["id"]
    assert (await api.delete(f"/holidays/{holiday_id}", headers=teacher)).status_code == 403
    assert (await api.delete(f"/holidays/{holiday_id}", headers=coordinator)).status_code == 204
    assert not await SchoolHoliday.exists(id=holiday_id)
    assert (await School.get(id=world.school_a.id)).absence_window_days == 21


@pytest.mark.parametrize("role", ["coordinator_m1", "coordinator_a", "teacher_a", "volunteer"])
async def test_no_one_else_reaches_the_administrator_s_routes(api, world, token_for, role):
    headers = await token_for(getattr(world, role))
    assert (await api.get("/municipalities", headers=headers)).status_code == 403
    assert (await api.get("/ngos", headers=headers)).status_code == 403
    created = await api.post("/municipalities", headers=headers, json={"name": "Kalnu novads"})
    assert created.status_code == 403
    imported = await api.post("/imports/schools", headers=headers | CSV, content=SCHOOLS.encode())
    assert imported.status_code == 403
    assert not await Municipality.filter(name__in=["Kalnu novads", "Kalnciema novads"]).exists()


async def test_schools_from_csv_all_or_nothing_and_again_nothing_changes(api, world, as_admin):
    first = await api.post("/imports/schools", headers=as_admin | CSV, content=SCHOOLS.encode())
    assert first.status_code == 201, first.text
    assert first.json() == {"municipalities_created": 1, "created": 2, "updated": 0, "unchanged": 0}
    again = await api.post("/imports/schools", headers=as_admin | CSV, content=SCHOOLS.encode())
    assert again.json() == {"municipalities_created": 0, "created": 0, "updated": 0, "unchanged": 2}
    assert await School.filter(municipality__name="Kalnciema novads").count() == 2

    bad = SCHOOLS.replace("Kalnciema novads", "Jaunais novads") + "Jaunais novads,Skola,lyceum,\n"
    refused = await api.post("/imports/schools", headers=as_admin | CSV, content=bad.encode())
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Line 4: The kind of a school is general or vocational."
    assert not await Municipality.filter(name="Jaunais novads").exists()
    not_utf8 = await api.post(
        "/imports/schools", headers=as_admin | CSV, content="Ķekava".encode("utf-16")
    )
    assert not_utf8.status_code == 422
    assert not_utf8.json()["detail"].startswith("Line 1: The text contains a character")


async def test_the_administrator_sees_no_student_data_through_any_student_route(
    api, world, as_admin
):
    ids = await records_of(world, "b")
    assert (await api.get("/students", headers=as_admin)).json() == []
    assert (
        await api.get(f"/students?school_id={world.school_a.id}", headers=as_admin)
    ).json() == []
    assert (await api.get("/schools", headers=as_admin)).json() == []
    reads = await AuditEvent.filter(action__startswith="read.").count()
    for method, name, path, body in PROBES:
        if is_national(name, body) or path.startswith("/students?"):
            continue
        json = as_id(filled(body, ids)) if body not in (None, "csv") else None
        content = b"class,first_name,last_name\n7.a,Zane,Roze\n" if body == "csv" else None
        answer = await api.request(
            method,
            filled(path, ids),
            headers=as_admin | (CSV if content else {}),
            json=json,
            content=content,
        )
        assert answer.status_code in (403, 404), (method, path, answer.status_code)
    assert await AuditEvent.filter(action__startswith="read.").count() == reads
