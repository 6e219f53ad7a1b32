"""Record ids as they arrive from outside (API paths and bodies, button data)."""

from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database: a larger one names nothing

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
