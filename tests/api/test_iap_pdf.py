"""GET /iaps/{id}.pdf: the plan to print and sign, as the caller may read it."""

from storage.models import AuditEvent
from tests.pdf_text import is_a4, pdf_text
from tests.staff_words import COMMENT, EVALUATION, PAUSE, STAFF_WORDS, plan_with_staff_words


async def test_a_coordinator_gets_an_a4_pdf_in_latvian_by_default(api, world, token_for):
    iap_id = await plan_with_staff_words(world)
    answer = await api.get(f"/iaps/{iap_id}.pdf", headers=await token_for(world.coordinator_a))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert 'filename="IAP_Kalnina_' in answer.headers["content-disposition"]
    assert is_a4(answer.content)
    text = pdf_text(answer.content)
    assert "Individuālais atbalsta plāns" in text and "Anna Kalnina" in text
    for words in (COMMENT, PAUSE, EVALUATION):
        assert words in text


async def test_the_language_follows_accept_language(api, world, token_for):
    iap_id = await plan_with_staff_words(world)
    headers = await token_for(world.teacher_a) | {"Accept-Language": "ru-RU,ru;q=0.9"}
    text = pdf_text((await api.get(f"/iaps/{iap_id}.pdf", headers=headers)).content)
    assert "Индивидуальный план поддержки" in text and "Согласие" in text


async def test_a_parent_downloads_their_childs_plan_without_staff_words(api, world, token_for):
    iap_id = await plan_with_staff_words(world)
    answer = await api.get(f"/iaps/{iap_id}.pdf", headers=await token_for(world.parent_a1))
    assert answer.status_code == 200
    text = pdf_text(answer.content)
    assert "Individuālais atbalsta plāns" in text and "Psihologs" in text
    for words in STAFF_WORDS:
        assert words not in text
    assert await AuditEvent.exists(
        person_id=world.parent_a1.id, action="read.plan", entity_id=world.student_a1.id
    )


async def test_out_of_scope_and_missing_plans_answer_alike(api, world, token_for):
    iap_id = await plan_with_staff_words(world)
    missing = await api.get("/iaps/999999.pdf", headers=await token_for(world.coordinator_a))
    assert missing.status_code == 404
    for actor in (world.teacher_b, world.coordinator_m2, world.volunteer):
        answer = await api.get(f"/iaps/{iap_id}.pdf", headers=await token_for(actor))
        assert answer.status_code == 404
        assert answer.json() == missing.json()
    assert (await api.get(f"/iaps/{iap_id}.pdf")).status_code == 401


async def test_the_openapi_document_declares_the_pdf_and_its_errors(api):
    spec = (await api.get("/openapi.json")).json()
    responses = spec["paths"]["/iaps/{iap_id}.pdf"]["get"]["responses"]
    assert "application/pdf" in responses["200"]["content"]
    assert {"401", "404"} <= set(responses)
