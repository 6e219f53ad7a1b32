"""How the flows write a student's name."""

from typing import Protocol


class Named(Protocol):
    first_name: str
    last_name: str


def full_name(student: Named) -> str:
    return f"{student.first_name} {student.last_name}"
