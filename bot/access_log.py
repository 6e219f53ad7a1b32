"""Uvicorn's logging, with request lines that never carry a query string (it may hold a name)."""

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG


class WithoutQueryString(logging.Filter):
    """Cuts the query string off the path of uvicorn's access-log records: `/students?search=…`
    is logged as `/students`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """Uvicorn's own logging set-up, its access log filtered through `WithoutQueryString`."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"without_query_string": {"()": WithoutQueryString}}
    config["loggers"]["uvicorn.access"]["filters"] = ["without_query_string"]
    return config
