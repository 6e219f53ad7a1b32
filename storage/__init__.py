"""Persistence: Tortoise ORM models, database set-up, migrations and Redis helpers."""
