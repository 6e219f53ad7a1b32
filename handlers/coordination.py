"""(being written)"""

from aiogram import Router


def create_router() -> Router:
    return Router(name="coordination")
