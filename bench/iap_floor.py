"""The plain-SQL floor of IAP assembly: the rows `core.iap` reads, fetched with asyncpg alone.

The same data as `school_students_in_play` + `assemble` for one school (the students in play,
their plans with the names of preparer and consent taker, measures, approvals with signers,
history, risk groups, signals and sessions summed per factor and specialist type, support needs),
in as many queries, each with one stable shape (`= ANY($1)`), so the server plans it once and
asyncpg prepares it once per connection. Nothing is built from the rows: what is left over the
floor in `core.iap` is the ORM and the Python assembling the structures.
"""

from __future__ import annotations

import asyncpg

from core.clock import Semester

IN_PLAY = """
    SELECT i.student_id FROM iap i JOIN student s ON s.id = i.student_id
     WHERE s.school_id = $1 AND i.school_year = $2 AND i.semester = $3
    UNION
    SELECT r.student_id FROM risk_signal r JOIN student s ON s.id = r.student_id
     WHERE s.school_id = $1 AND r.observed_to BETWEEN $4 AND $5
"""
QUERIES = (
    """SELECT s.id, s.first_name, s.last_name, s.school_id, c.name AS class_name,
              sc.name AS school_name, sc.state_vocational
         FROM student s JOIN school sc ON sc.id = s.school_id
         JOIN school_class c ON c.id = s.school_class_id
        WHERE s.id = ANY($1::int[])
        ORDER BY c.grade, c.name, s.last_name, s.first_name""",
    """SELECT i.*, p.display_name AS preparer_name, b.display_name AS consent_name
         FROM iap i LEFT JOIN person p ON p.id = i.preparer_id
         LEFT JOIN person b ON b.id = i.consent_by_id
        WHERE i.student_id = ANY($1::int[]) AND i.school_year = $2 AND i.semester = $3""",
)
PLAN_QUERIES = (
    "SELECT * FROM iap_measure WHERE iap_id = ANY($1::int[]) ORDER BY id",
    """SELECT a.iap_id, a.step, a.at, p.display_name FROM iap_approval a
         LEFT JOIN person p ON p.id = a.person_id
        WHERE a.iap_id = ANY($1::int[]) ORDER BY a.at, a.id""",
    """SELECT iap_id, from_status, to_status, at, comment FROM iap_transition
        WHERE iap_id = ANY($1::int[]) ORDER BY at, id""",
    "SELECT * FROM iap_risk_group WHERE iap_id = ANY($1::int[]) ORDER BY id",
)
STUDENT_QUERIES = (
    """SELECT student_id, "group", factor, count(id) AS signals, sum(value) AS lessons,
              min(observed_from) AS first_seen, max(observed_to) AS last_seen,
              count(id) FILTER (WHERE level = 'high') AS high_signals
         FROM risk_signal
        WHERE student_id = ANY($1::int[]) AND observed_to BETWEEN $2 AND $3
        GROUP BY student_id, "group", factor""",
    """SELECT student_id, specialist_type, count(id) AS sessions, sum(minutes) AS minutes_total
         FROM consultation
        WHERE student_id = ANY($1::int[]) AND held_on BETWEEN $2 AND $3
        GROUP BY student_id, specialist_type""",
)
NEEDS = """SELECT * FROM support_need
            WHERE student_id = ANY($1::int[]) AND school_year = $2 AND semester = $3
            ORDER BY created_at, id"""


async def school_rows(connection: asyncpg.Connection, school_id: int, semester: Semester) -> int:
    """Fetch everything one school's assembly reads; give back the students in play."""
    year, number = semester.school_year, semester.number
    students = [
        row[0]
        for row in await connection.fetch(
            IN_PLAY, school_id, year, number, semester.start, semester.end
        )
    ]
    if not students:
        return 0
    await connection.fetch(QUERIES[0], students)
    iaps = [row["id"] for row in await connection.fetch(QUERIES[1], students, year, number)]
    for query in PLAN_QUERIES:
        await connection.fetch(query, iaps)
    for query in STUDENT_QUERIES:
        await connection.fetch(query, students, semester.start, semester.end)
    await connection.fetch(NEEDS, students, year, number)
    return len(students)
