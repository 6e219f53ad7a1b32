"""Health: the API reports the database and, when configured, a real Redis."""


async def test_healthz_reports_redis_when_configured(api, redis_url, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    body = (await api.get("/healthz")).json()
    assert body == {"status": "ok", "database": "ok", "redis": "ok", "bot": "not configured"}


async def test_healthz_says_when_redis_is_unreachable(api, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    body = (await api.get("/healthz")).json()
    assert body["redis"] == "unreachable"


async def test_healthz_without_redis(api, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert (await api.get("/healthz")).json()["redis"] == "not configured"


def test_the_served_app_migrates_and_answers_from_any_task(empty_database_url, monkeypatch):
    """As under uvicorn: the lifespan opens the database, requests run in other tasks."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    with TestClient(create_app()) as client:
        assert client.get("/healthz").json()["database"] == "ok"
        assert client.get("/students", headers={"Authorization": "Bearer x"}).status_code == 401
