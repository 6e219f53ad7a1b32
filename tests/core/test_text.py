"""The one rule for names and free text from outside, and the services that keep such text."""

import pytest

from core.clock import today
from core.errors import InvalidInput
from core.services import activities, consultations, needs, pending, people, schools, signals
from core.text import (
    clean_line,
    clean_name,
    clean_text,
    lenient_line,
    optional_text,
    spreadsheet_safe,
)
from storage.models import AuditEvent, Person

REFUSED = {
    "\x00": "U+0000",  # NUL: PostgreSQL cannot store it
    "\x1b": "U+001B",  # escape
    "\x7f": "U+007F",  # delete
    "\x85": "U+0085",  # next line, a C1 control
    "\u202e": "U+202E",  # right-to-left override
    "\u2066": "U+2066",  # left-to-right isolate
    "\ud800": "U+D800",  # a lone surrogate (JSON can carry one: "\\ud800")
    "\ufdd0": "U+FDD0",  # a noncharacter
    "\ufffe": "U+FFFE",  # a noncharacter
    "\U0010ffff": "U+10FFFF",  # the last noncharacter
}


@pytest.mark.parametrize("clean", [clean_line, clean_name, clean_text])
@pytest.mark.parametrize("char", list(REFUSED))
def test_a_refused_character_is_named(clean, char):
    with pytest.raises(InvalidInput) as refused:
        clean(f"Anna{char}Liepa")
    assert refused.value.text("en").startswith(
        f"The text contains a character that cannot be saved: {REFUSED[char]} "
    )
    assert refused.value.text("lv") != refused.value.text("en")


def test_invisible_characters_go_and_text_is_nfc():
    assert clean_name("\ufeffAn\u200bna\u200c \u200dKalnin\u0327a\u2060") == "Anna Kalniņa"
    assert clean_line("  Sporta\tdiena \n skolā  ") == "Sporta diena skolā"
    assert clean_text(" Pirmā rinda\r\nOtrā\rTrešā\n\tar atkāpi \u200b") == (
        "Pirmā rinda\nOtrā\nTrešā\n\tar atkāpi"
    )
    assert optional_text("\u200b \u2060") is None
    assert optional_text(None) is None
    assert optional_text(" piezīme ") == "piezīme"


def test_a_name_starts_with_a_letter_or_a_digit():
    assert clean_name("Ērika") == "Ērika"
    assert clean_name("9.b") == "9.b"
    assert clean_name("Олена") == "Олена"
    for formula in ("=1+2", "+371 2000", "-Anna", "@SUM(A1)", "'Anna", "\u0327a"):
        with pytest.raises(InvalidInput) as refused:
            clean_name(formula)
        assert refused.value.text("en") == "A name must start with a letter or a digit."
    assert clean_name(" \u200b ") == ""  # nothing: the caller says a name is needed


def test_a_telegram_name_loses_what_the_rule_refuses():
    assert lenient_line("\u202eAnna\x00 \u200b Liepa\n🌸") == "Anna Liepa 🌸"
    assert lenient_line("\x00\u202e") == ""


def test_free_text_is_made_safe_for_spreadsheets_on_export():
    for formula in ("=HYPERLINK(1)", "+1", "-5 stundas", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_safe(formula) == "'" + formula
    for text in ("Anna", "5-6 stundas", "", " =1"):
        assert spreadsheet_safe(text) == text


async def test_services_refuse_what_cannot_be_saved_and_save_nothing(world):
    """Called from anywhere (the CLI too): an InvalidInput, never a database error."""
    nul = "Kavē\x00"
    need = await needs.ask_parent_about_need(
        world.teacher_a, world.student_a1.id, "transport_tickets"
    )
    events = await AuditEvent.all().count()
    calls = [
        signals.record_risk_signal(world.teacher_a, world.student_a1.id, "bullying", note=nul),
        consultations.log_consultation(
            world.psychologist_a,
            world.student_a1.id,
            held_on=today(),
            minutes=30,
            mode="remote",
            topic=nul,
        ),
        activities.register_peer_activity(
            world.volunteer,
            world.ngo.id,
            title=nul,
            held_on=today(),
            format="workshop",
            participants=5,
            at_risk_participants=1,
            hours=1,
        ),
        activities.register_peer_activity(
            world.volunteer,
            world.ngo.id,
            title="Sporta diena",
            held_on=today(),
            format="workshop",
            participants=5,
            at_risk_participants=1,
            hours=1,
            description=nul,
        ),
        needs.answer_need(world.parent_a1, need.id, confirmed=True, months=[9], details=nul),
        schools.create_class(world.coordinator_a, world.school_a.id, 9, "9.\x00"),
        schools.list_students(world.coordinator_a, search="Kal\x00"),
        pending.find_students(world.coordinator_a, "Kal\x00"),
    ]
    for call in calls:
        with pytest.raises(InvalidInput):
            await call
    assert await AuditEvent.all().count() == events


async def test_a_telegram_name_is_cleaned_when_joining(world):
    issued = await people.create_invite(
        world.coordinator_a, "parent", student_id=world.student_a2.id
    )
    actor = await people.enroll_by_invite(
        issued.code, telegram_id=5551, display_name="\u202eFictional\x00 Parent\u200b"
    )
    assert (await Person.get(id=actor.id)).display_name == "Fictional Parent"
