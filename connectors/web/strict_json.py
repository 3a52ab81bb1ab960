"""Strict JSON for request bodies: only what can be relayed and answered as JSON again.

Python's ``json`` module accepts ``NaN``, ``Infinity`` and lone UTF-16 surrogates
(``"\\ud800"``); none of them can be encoded again (as JSON or as UTF-8), so a request
carrying one used to fail later with a 500. Bodies are parsed with pydantic-core's parser
instead, which refuses them, and checked to hold no number that overflows to infinity.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from pydantic_core import from_json
from starlette.requests import Request
from starlette.responses import Response


def parse_json(body: bytes) -> Any:
    """``body`` as JSON, refusing what could not be encoded again.

    Refused: invalid UTF-8, lone surrogates (``"\\ud800"``), ``NaN`` and ``Infinity``,
    numbers too large for a float (``1e999``) or too long for an int, nesting deeper than
    pydantic-core's limit.

    Raises:
        ValueError: The body is not strict JSON; the message says where, never what.
    """
    value = from_json(body, allow_inf_nan=False)
    # from_json turns 1e999 into inf; dumping again refuses every non-finite float
    json.dumps(value, allow_nan=False)
    return value


class StrictJsonRequest(Request):
    """A request whose ``json()`` is :func:`parse_json`.

    FastAPI turns a ``json.JSONDecodeError`` from ``json()`` into a validation error (422);
    any other exception would become a bare 400.
    """

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = parse_json(body)
            except ValueError as exc:
                doc = body.decode("utf-8", errors="replace")
                raise json.JSONDecodeError(str(exc), doc, 0) from None
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is parsed by :func:`parse_json` (``APIRouter(route_class=...)``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
