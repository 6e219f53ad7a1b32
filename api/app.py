"""The FastAPI application over the core services."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from tortoise import connections

from api.admin import router as admin_router
from api.attendance import router as attendance_router
from api.digests import router as digests_router
from api.effectiveness import router as effectiveness_router
from api.errors import UnexpectedErrors, document_errors, install_error_handlers
from api.guard import BodyLimit
from api.health import bot_status
from api.iap_pdf import router as iap_pdf_router
from api.outcomes import router as outcomes_router
from api.plan_review import router as plan_review_router
from api.plans import router as plans_router
from api.privacy import router as privacy_router
from api.reports import router as reports_router
from api.routes import router
from storage.db import database
from storage.redis import redis_ok
from storage.settings import storage_settings


def create_app(*, manage_database: bool = True) -> FastAPI:
    """The API. With `manage_database` it opens (and migrates) the database for its lifetime."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not manage_database:
            yield
            return
        async with database():
            yield

    app = FastAPIOffline(  # /docs and /redoc with their assets served here, not from a CDN
        title="Pumpurs",
        summary="Early-school-leaving support (PuMPuRS): risk signals, support, IAPs.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(UnexpectedErrors)  # added last: the outermost of ours
    app.include_router(router)
    app.include_router(digests_router)
    app.include_router(effectiveness_router)
    app.include_router(privacy_router)
    app.include_router(iap_pdf_router)
    app.include_router(plan_review_router)
    app.include_router(plans_router)
    app.include_router(admin_router)
    app.include_router(outcomes_router)
    app.include_router(reports_router)
    app.include_router(attendance_router)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness with the state of the database, Redis (when configured) and the bot."""
        await connections.get("default").execute_query("SELECT 1")
        redis_url = storage_settings().redis_url
        if redis_url is None:
            redis_state = "not configured"
        else:
            redis_state = "ok" if await redis_ok(redis_url) else "unreachable"
        bot_state = bot_status(app).state
        return {"status": "ok", "database": "ok", "redis": redis_state, "bot": bot_state}

    document_errors(app)
    return app
