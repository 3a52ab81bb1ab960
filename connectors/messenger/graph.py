"""The Graph API as the Messenger channel uses it: the Send API and the Messenger Profile API.

The page token travels in the ``Authorization: Bearer`` header, never in the URL, so that no
request line (httpx logs them at INFO) carries it. When the app secret is known, each call also
carries ``appsecret_proof`` (HMAC-SHA256 of the token under the app secret), which the app's
"Require app secret" setting demands.

Errors (Graph answers ``{"error": {"code", "error_subcode", "type", "message", ...}}``):

- rate limits (HTTP 429, or code 4, 17, 32 or 613) and temporary failures (code 1 or 2, an
  HTTP 5xx, a connection failure) are retried with exponential back-off;
- code 10 with subcode 2018278 ("sent outside of allowed window") is :class:`OutsideWindow`,
  never retried;
- code 190 (the page token is invalid or expired) is :class:`InvalidToken`, never retried and
  logged as such;
- anything else is a :class:`GraphError`, not retried.

The codes are those of https://developers.facebook.com/docs/messenger-platform/error-codes
(4 "Application request limit reached", 613 "Calls to this API have exceeded the rate limit",
10/2018278 "This message is sent outside of allowed window", 190 "Invalid OAuth access
token"); 17 and 32 are the Graph API's user and page request limits.

Logs name the path, the codes and Graph's trace id; never the token, a PSID or the message.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from typing import Any

import httpx
from pydantic import SecretStr

logger = logging.getLogger(__name__)

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
TRANSIENT_CODES = frozenset({1, 2})
PERMISSION_CODE = 10
OUTSIDE_WINDOW_SUBCODE = 2018278
INVALID_TOKEN_CODE = 190

RETRIES = 3
RETRY_BASE_SECONDS = 1.0  # then 2 s, 4 s
RETRY_MAX_SECONDS = 30.0
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class GraphError(Exception):
    """A Graph API call that failed; the message names the codes, never the request."""

    def __init__(
        self,
        path: str,
        status: int | None,
        code: int | None,
        subcode: int | None,
        trace: str | None = None,
    ) -> None:
        super().__init__(
            f"Graph API {path}: HTTP {status if status is not None else '-'}, "
            f"code {code if code is not None else '-'}"
            + (f"/{subcode}" if subcode is not None else "")
        )
        self.path = path
        self.status = status
        self.code = code
        self.subcode = subcode
        self.trace = trace  # Graph's fbtrace_id, for Meta's support

    @property
    def retryable(self) -> bool:
        """A rate limit or a temporary failure: worth another try after a pause."""
        if self.status is None or self.status == 429 or self.status >= 500:
            return True
        return self.code in RATE_LIMIT_CODES or self.code in TRANSIENT_CODES


class OutsideWindow(GraphError):
    """Graph refused a message sent outside the user's messaging window (10/2018278)."""


class InvalidToken(GraphError):
    """Graph refused the page access token (code 190): invalid, expired or revoked."""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error_of(path: str, response: httpx.Response) -> GraphError:
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    kind: type[GraphError] = GraphError
    if code == INVALID_TOKEN_CODE:
        kind = InvalidToken
    elif code == PERMISSION_CODE and subcode == OUTSIDE_WINDOW_SUBCODE:
        kind = OutsideWindow
    trace = error.get("fbtrace_id")
    return kind(
        path, response.status_code, code, subcode, trace if isinstance(trace, str) else None
    )


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


class GraphClient:
    """Calls ``{base_url}/{version}/...`` with the page token.

    Args:
        http: The gateway's shared client.
        base_url: ``settings.messenger_graph_base_url`` (a local fake in tests).
        version: ``settings.messenger_graph_version``, e.g. ``v21.0``.
        token: The page access token.
        app_secret: The app secret, for ``appsecret_proof``; None sends no proof.
        retries: How many times a rate-limited or temporarily failed call is tried again.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        version: str,
        token: SecretStr,
        app_secret: SecretStr | None = None,
        *,
        retries: int = RETRIES,
    ) -> None:
        self._http = http
        self._root = f"{base_url.rstrip('/')}/{version.strip('/')}"
        self._headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
        self._params: dict[str, str] = {}
        if app_secret is not None and app_secret.get_secret_value():
            proof = hmac.new(
                app_secret.get_secret_value().encode("utf-8"),
                token.get_secret_value().encode("utf-8"),
                hashlib.sha256,
            ).hexdigest()
            self._params["appsecret_proof"] = proof
        self.retries = retries

    async def post(
        self, path: str, body: dict[str, Any], *, retries: int | None = None
    ) -> dict[str, Any]:
        """POST ``body`` as JSON to ``path`` (e.g. ``me/messages``); Graph's answer.

        Raises:
            OutsideWindow: The user's messaging window is closed.
            InvalidToken: The page token was refused (logged as an error here).
            GraphError: Any other failure, after the retries a rate limit or a temporary
                failure is given.
        """
        attempts = 1 + (self.retries if retries is None else retries)
        for attempt in range(attempts):
            response: httpx.Response | None = None
            try:
                response = await self._http.post(
                    f"{self._root}/{path}",
                    json=body,
                    headers=self._headers,
                    params=self._params,
                    timeout=TIMEOUT,
                )
            except httpx.TransportError as exc:
                failure = GraphError(path, None, None, None)
                reason = type(exc).__name__
            else:
                if response.is_success:
                    answer = response.json() if response.content else {}
                    return answer if isinstance(answer, dict) else {}
                failure = _error_of(path, response)
                reason = f"HTTP {response.status_code}"
            if isinstance(failure, InvalidToken):
                logger.error(
                    "messenger: Graph API refused the page access token (code 190/%s): "
                    "renew HELPDESK_MESSENGER_PAGE_TOKEN",
                    failure.subcode if failure.subcode is not None else "-",
                )
            if not failure.retryable or attempt == attempts - 1:
                raise failure
            delay = _retry_after(response) or min(
                RETRY_BASE_SECONDS * 2**attempt, RETRY_MAX_SECONDS
            )
            logger.warning(
                "messenger: Graph API %s failed (%s, code %s); retry %d of %d in %.2f s",
                path,
                reason,
                failure.code if failure.code is not None else "-",
                attempt + 1,
                attempts - 1,
                delay,
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
