"""Did it work? The comparison on synthetic students where the effect is known, the interval
against scipy by hand, small numbers, scopes and roles, fixed queries."""

import statistics
from datetime import date

import pytest
from scipy import stats

from core.effectiveness import (
    HIGHER,
    LOWER,
    NO_EVIDENCE,
    TOO_FEW,
    Moments,
    build_effectiveness,
    difference_in_differences,
)
from core.effectiveness_chart import chart_data, render_effectiveness_chart
from core.effectiveness_view import effectiveness_table, effectiveness_text, statement
from core.errors import AccessDenied, InvalidInput, NotFound
from storage.models import SchoolClass, SchoolHoliday
from storage.query_counter import count_queries
from tests.effectiveness_world import (
    SEMESTER,
    START,
    absences,
    admin,
    at_risk,
    cohort,
    consultations,
    halving_world,
    material,
    no_effect_world,
    outcomes,
    per_100,
    per_100_after,
)


def effect_of(report, key: str):
    return next(effect for effect in report.measures if effect.measure.key == key)


async def test_a_measure_that_halves_absences_is_found(world):
    _, _, lessons_with, lessons_without = await halving_world(world.class_a7)
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    effect = effect_of(report, "consultation:psychologist")
    assert effect.received == 25
    assert effect.start_day == START
    side, other = effect.with_measure, effect.without_measure
    assert (side.students, other.students) == (25, 30)
    assert side.absences_before == pytest.approx(
        statistics.fmean(per_100(b) for b, _ in lessons_with)
    )
    assert side.absences_after == pytest.approx(
        statistics.fmean(per_100_after(a) for _, a in lessons_with)
    )
    assert effect.absences.conclusion == LOWER
    assert effect.absences.high < 0
    # the interval by hand: one stratum, so Welch's t interval on the per-student changes
    changes_with = [per_100_after(a) - per_100(b) for b, a in lessons_with]
    changes_without = [per_100_after(a) - per_100(b) for b, a in lessons_without]
    welch = stats.ttest_ind(changes_with, changes_without, equal_var=False)
    low, high = welch.confidence_interval(0.95)
    assert effect.absences.difference == pytest.approx(
        statistics.fmean(changes_with) - statistics.fmean(changes_without)
    )
    assert (effect.absences.low, effect.absences.high) == (pytest.approx(low), pytest.approx(high))
    # the other consultation types reached nobody
    assert effect_of(report, "consultation:teacher").received == 0


async def test_a_measure_without_effect_is_no_evidence(world):
    await no_effect_world(world.class_a7)
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    effect = effect_of(report, "consultation:social_pedagogue")
    assert effect.absences.conclusion == NO_EVIDENCE
    assert effect.absences.low < 0 < effect.absences.high
    text = effectiveness_text(report, "en")
    assert "No evidence of an effect" in text


async def test_fewer_than_20_on_a_side_is_too_few(world):
    await halving_world(world.class_a7, treated=19, compared=30)
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    effect = effect_of(report, "consultation:psychologist")
    assert effect.absences.conclusion == TOO_FEW
    assert effect.absences.difference is None
    assert (effect.absences.with_measure, effect.absences.without_measure) == (19, 30)
    assert statement(effect, "en").startswith(
        "Too few students to conclude: 19 with the measure and 30 comparable students without it"
    )
    assert "Too few students to conclude (at least 20 on each side): Consultations: " in (
        effectiveness_text(report, "en")
    )


def moments(values_by_stratum):
    return {
        stratum: Moments(len(values), sum(values), sum(v * v for v in values))
        for stratum, values in values_by_stratum.items()
    }


def test_the_interval_weights_strata_by_their_treated_students():
    treated = {("learning", 0): [-1.0, -2.0, -3.0] * 8, ("economic", 2): [4.0, 5.0] * 10}
    comparison = {("learning", 0): [0.0, 1.0] * 10, ("economic", 2): [4.0, 6.0] * 10}
    estimate = difference_in_differences(moments(treated), moments(comparison))
    expected = (24 / 44) * (-2.0 - 0.5) + (20 / 44) * (4.5 - 5.0)
    assert estimate.difference == pytest.approx(expected)
    assert estimate.conclusion == LOWER
    assert (estimate.with_measure, estimate.without_measure) == (44, 40)
    rising = difference_in_differences(
        moments({("learning", 0): [3.0, 4.0] * 10}), moments({("learning", 0): [0.0, 1.0] * 10})
    )
    assert rising.conclusion == HIGHER


async def test_students_are_compared_within_their_starting_absence_band(world):
    # the treated start high (band 2); the comparison has 30 low (band 0) and 25 high students
    treated = await cohort(world.class_a7, 25, "T")
    low = await cohort(world.class_a7, 30, "L")
    high = await cohort(world.class_a7, 25, "H")
    await at_risk(treated + low + high)
    for student in treated + high:
        await absences(student, 30, 24)
    for student in low:
        await absences(student, 0, 3)
    await consultations(treated, "psychologist")
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    effect = effect_of(report, "consultation:psychologist")
    assert effect.without_measure.students == 25  # the low band is not compared
    assert effect.absences.difference == pytest.approx(0.0)


async def test_material_support_starts_with_its_first_month(world):
    treated = await cohort(world.class_a7, 3, "T")
    await at_risk(treated)
    for student in treated:
        await absences(student, 12, 6, start=date(2025, 11, 1))
    # confirmed in September for November and December: the support starts on 1 November
    await material(treated, "meals", date(2025, 9, 15), [12, 11])
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    effect = effect_of(report, "material:meals")
    assert effect.start_day == date(2025, 10, 27)  # the comparison's: the Monday of that week
    assert effect.received == 3
    assert effect.with_measure.absences_after < effect.with_measure.absences_before


async def test_outcomes_with_and_without_the_measure(world):
    treated, compared, _, _ = await halving_world(world.class_a7)
    await outcomes(treated[:20], "continues")
    await outcomes(treated[20:], "left_early")
    await outcomes(compared[:15], "completed")
    await outcomes(compared[15:], "left_early")
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    effect = effect_of(report, "consultation:psychologist")
    with_measure, without = effect.with_measure.outcomes, effect.without_measure.outcomes
    assert (with_measure.recorded, with_measure.continuing, with_measure.left_early) == (25, 20, 5)
    assert (without.recorded, without.continuing, without.left_early) == (30, 15, 15)
    text = effectiveness_text(report, "en")
    assert "Continued or completed: 80% with it, 50% without; left early: 20% and 50%" in text


async def small_municipality(world, treated: int, compared: int):
    """Students in school A with the measure, in school B without: municipality 1's."""
    with_measure = await cohort(world.class_a7, treated, "T")
    without = await cohort(world.class_b7, compared, "C")
    await at_risk(with_measure + without)
    for student in with_measure + without:
        await absences(student, 12, 6)
    await consultations(with_measure, "psychologist")
    await outcomes(with_measure, "continues")
    return await build_effectiveness(world.coordinator_m1, f"municipality-{world.m1.id}", SEMESTER)


async def test_a_municipality_hides_a_side_of_4_students_and_shows_5(world):
    report = await small_municipality(world, treated=4, compared=5)
    effect = effect_of(report, "consultation:psychologist")
    assert effect.received is None
    assert effect.with_measure.suppressed and effect.with_measure.absences_before is None
    assert effect.with_measure.outcomes is None
    assert effect.absences.with_measure is None
    assert effect.without_measure.students == 5
    assert effect.without_measure.absences_before == pytest.approx(per_100(12))
    assert "Consultations: Psychologist (<5)" in effectiveness_text(report, "en")
    row = next(r for r in effectiveness_table(report, "en") if r[0].endswith("Psychologist"))
    assert row[1:8] == ["<5", "<5", "<5", "<5", "5", "6.7", "4.3"]


async def test_a_school_sees_its_own_exact_small_numbers(world):
    treated = await cohort(world.class_a7, 2, "T")
    await at_risk(treated)
    for student in treated:
        await absences(student, 12, 6)
    await consultations(treated, "psychologist")
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    effect = effect_of(report, "consultation:psychologist")
    assert (effect.received, effect.with_measure.students) == (2, 2)
    assert effect.with_measure.absences_after == pytest.approx(per_100_after(6))


async def test_ngo_involvement_is_not_measurable(world):
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    effect = effect_of(report, "ngo:ngo")
    assert not effect.measurable
    text = effectiveness_text(report, "lv")
    assert "nav iesp" in text  # "Not measurable": said in Latvian, see the catalogue
    assert "No student" not in text


@pytest.mark.parametrize(
    ("reader", "scope", "refusal"),
    [
        ("coordinator_a", "country", AccessDenied),
        ("coordinator_m1", "country", AccessDenied),
        ("teacher_a", "school-{a}", AccessDenied),
        ("coordinator_a", "school-{b}", NotFound),
        ("coordinator_a", "municipality-{m1}", NotFound),
        ("coordinator_m2", "school-{a}", NotFound),
        ("coordinator_m2", "municipality-{m1}", NotFound),
        ("parent_a1", "school-{a}", NotFound),
        ("volunteer", "school-{a}", NotFound),
        ("outsider", "municipality-{m1}", NotFound),
    ],
)
async def test_scopes_are_refused_as_the_access_policy_says(world, reader, scope, refusal):
    text = scope.format(a=world.school_a.id, b=world.school_b.id, m1=world.m1.id)
    with pytest.raises(refusal):
        await build_effectiveness(getattr(world, reader), text, SEMESTER)


async def test_who_reads_which_scope(world):
    analyst = await admin()
    for scope in ("country", f"municipality-{world.m2.id}", f"school-{world.school_c.id}"):
        assert (await build_effectiveness(analyst, scope, SEMESTER)).area.scope == scope
    m1 = await build_effectiveness(world.coordinator_m1, f"school-{world.school_b.id}", SEMESTER)
    assert m1.area.name == "Liepu pamatskola"
    with pytest.raises(NotFound):
        await build_effectiveness(analyst, "school-999999", SEMESTER)
    for bad in ("planet-1", "school-x", "Country", "school-²"):
        with pytest.raises(InvalidInput):
            await build_effectiveness(analyst, bad, SEMESTER)
    with pytest.raises(InvalidInput):
        await build_effectiveness(analyst, "country", SEMESTER, weeks=13)


async def test_the_country_counts_every_school_and_a_municipality_only_its_own(world):
    treated = await cohort(world.class_a7, 3, "T")
    elsewhere = await cohort(world.class_b7, 2, "E")
    await consultations(treated + elsewhere, "teacher")
    other = await SchoolClass.create(school=world.school_c, grade=9, name="9.b")
    far = await cohort(other, 4, "F")
    await consultations(far, "teacher")
    analyst = await admin()
    country = await build_effectiveness(analyst, "country", SEMESTER)
    assert effect_of(country, "consultation:teacher").received == 9
    m1 = await build_effectiveness(analyst, f"municipality-{world.m1.id}", SEMESTER)
    assert effect_of(m1, "consultation:teacher").received == 5
    school = await build_effectiveness(analyst, f"school-{world.school_a.id}", SEMESTER)
    assert effect_of(school, "consultation:teacher").received == 3


async def queries(actor, scope: str) -> int:
    with count_queries() as counted:
        await build_effectiveness(actor, scope, SEMESTER)
    return counted.queries


async def test_a_fixed_number_of_queries_for_one_school_or_several(world):
    analyst = await admin()
    first = await cohort(world.class_a7, 6, "A")
    await at_risk(first)
    await consultations(first, "psychologist")
    await material(first, "meals", date(2025, 10, 1), [10, 11])
    one = {
        scope: await queries(analyst, scope)
        for scope in ("country", f"municipality-{world.m1.id}", f"school-{world.school_a.id}")
    }
    for school_class in (
        world.class_b7,
        await SchoolClass.create(school=world.school_c, grade=9, name="9.c"),
    ):
        more = await cohort(school_class, 6, f"S{school_class.id}")
        await at_risk(more)
        for student in more:
            await absences(student, 3, 9)
        await consultations(more, "teacher")
        await material(more, "lodging", date(2025, 10, 1), [10, 11])
    several = {
        scope: await queries(analyst, scope)
        for scope in ("country", f"municipality-{world.m1.id}", f"school-{world.school_a.id}")
    }
    assert (
        several
        == one
        == {
            "country": 3,
            f"municipality-{world.m1.id}": 4,
            f"school-{world.school_a.id}": 4,
        }
    )
    coordinator = await queries(world.coordinator_m1, f"municipality-{world.m1.id}")
    assert coordinator == 5


async def test_the_text_fits_a_telegram_message_in_every_language(world):
    await halving_world(world.class_a7)
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    for locale in ("lv", "ru", "uk", "en"):
        text = effectiveness_text(report, locale)
        assert len(text) <= 4096, locale
    lv = effectiveness_text(report, "lv")
    assert lv.startswith("Vai pasākumi palīdzēja? Ezerkalnes vidusskola\n")
    assert "Konsultācijas: Psihologs: skolēni — 25" in lv
    assert "nepierāda, ka starpību izraisīja pasākums" in lv


async def test_the_chart_draws_only_sides_with_figures(world):
    await small_municipality(world, treated=4, compared=5)
    hidden = await build_effectiveness(
        world.coordinator_m1, f"municipality-{world.m1.id}", SEMESTER
    )
    assert chart_data(hidden, "en").labels == []
    shown = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    data = chart_data(shown, "en")
    assert data.labels == ["Consultations: Psychologist"]
    assert data.with_before == [pytest.approx(per_100(12))]
    assert data.with_after == [pytest.approx(per_100_after(6))]
    assert render_effectiveness_chart(data, "lv").startswith(b"\x89PNG")


async def test_a_schools_own_holidays_are_not_school_days(world):
    treated = await cohort(world.class_a7, 2, "T")
    await at_risk(treated)
    for student in treated:
        await absences(student, 12, 6)
    await consultations(treated, "psychologist")
    # a week of its own inside the window after the start: 23 - 5 = 18 school days, 108 lessons
    await SchoolHoliday.create(
        school=world.school_a, first_day=date(2025, 11, 24), last_day=date(2025, 11, 30)
    )
    report = await build_effectiveness(world.coordinator_a, f"school-{world.school_a.id}", SEMESTER)
    effect = effect_of(report, "consultation:psychologist")
    assert effect.with_measure.absences_before == pytest.approx(per_100(12))
    assert effect.with_measure.absences_after == pytest.approx(100 * 6 / 108)
