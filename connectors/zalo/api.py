"""Zalo's OA API as the channel uses it: consultation messages out, the access token kept fresh.

- ``POST {zalo_api_base_url}/v3.0/oa/message/cs`` with the ``access_token`` header sends one
  consultation message. Zalo answers HTTP 200 with ``{"error": 0, ...}``, or with a negative
  error code.
- ``POST {zalo_oauth_base_url}/v4/oa/access_token`` (header ``secret_key``, form
  ``refresh_token``, ``app_id``, ``grant_type=refresh_token``) trades the refresh token, which
  works once, for a new pair and the access token's lifetime (``expires_in``, seconds).

The pair lives in the database (:class:`store.channels.TokenStore`), sealed, so that every
replica uses the newest one and only one replica refreshes it. The pair given in the
environment is stored the first time, as due: its age is unknown, so the first send refreshes
it (and still tries it if the refresh fails).

Retries: HTTP 429 and 5xx, network errors and Zalo's rate-limit code are retried with
exponential back-off (``Retry-After`` when given). An invalid or expired access token
(:data:`TOKEN_CODES`) is refreshed once and the message sent again. Other error codes are
logged by number and the message is dropped. The public sources disagree on the codes'
meanings (one integration lists -216 as "quota exceeded" and -124 as "token expired"):
treating both as token errors costs at most one refresh and one more attempt. -32 as
the rate-limit code was not confirmed by any source found.

Nothing here logs a user id, a token or a message's text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from connectors.errors import ChannelError
from helpdesk.settings import Settings
from store.channels import TokenPair, TokenStore
from store.status import utc_now

logger = logging.getLogger(__name__)

MESSAGE_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"
TOKEN_CODES = frozenset({-216, -124})
RATE_LIMIT_CODES = frozenset({-32})
NOT_FOLLOWING = -213  # the user does not follow the OA (or left it)
NO_RECENT_INTERACTION = -230  # the user has not written in the past 7 days
REFRESH_MARGIN = timedelta(minutes=30)
SEND_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# short: on SQLite the refresh holds the database's write lock, which others wait 5 s for
REFRESH_TIMEOUT = httpx.Timeout(2.0)
MAX_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


class ZaloRefused(ChannelError):
    """Zalo did not give a new token pair; the message names the status or the error code."""


class ZaloTokens:
    """The OA's access token: refreshed before it expires, and when Zalo rejects it.

    Args:
        store: The sealed pair shared by the replicas.
        settings: App id and secret, the OAuth base URL.
        clock: The current time (UTC).
    """

    def __init__(
        self, store: TokenStore, settings: Settings, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._store = store
        self._clock = clock
        self._app_id = settings.zalo_app_id or ""
        secret = settings.zalo_app_secret
        self._app_secret = secret.get_secret_value() if secret is not None else ""
        self._url = settings.zalo_oauth_base_url.rstrip("/") + REFRESH_PATH
        self._pair: TokenPair | None = None
        self._lock = asyncio.Lock()
        self._seeds = (settings.zalo_access_token, settings.zalo_refresh_token)

    def seed(self) -> bool:
        """Store the environment's pair unless one is stored; whether a pair is stored now.

        Blocking (the database): run it in a thread from async code.
        """
        pair = self._store.get()
        access, refresh = self._seeds
        if pair is None and access is not None and access.get_secret_value():
            refresh_token = refresh.get_secret_value() if refresh is not None else ""
            pair = TokenPair(access.get_secret_value(), refresh_token, self._clock())
            self._store.save(pair, self._clock())
        if pair is not None and not self._renewable(pair):
            logger.warning("zalo: no app secret or refresh token; the access token is not renewed")
        return pair is not None

    def _renewable(self, pair: TokenPair) -> bool:
        return bool(self._app_id and self._app_secret and pair.refresh_token)

    def _due(self, pair: TokenPair) -> bool:
        return pair.expires_at - self._clock() <= REFRESH_MARGIN

    async def current(self) -> str:
        """The access token to send with: refreshed first when it is close to expiry.

        Raises:
            ZaloRefused: No pair is stored (the database was emptied since the start).
            StoreUnavailable: The database cannot be reached.
        """
        pair = self._pair
        if pair is None or self._due(pair):
            pair = await asyncio.to_thread(self._store.get)  # another replica may have renewed
            if pair is None:
                raise ZaloRefused("no access token is stored")
            if self._due(pair) and self._renewable(pair):
                pair = await self._refresh(lambda stored: not self._due(stored)) or pair
            self._pair = pair
        return pair.access_token

    async def renew(self, rejected: str) -> str | None:
        """A new access token after Zalo rejected ``rejected`` (here or by another replica);
        None when none could be had."""
        if self._pair is not None and not self._renewable(self._pair):
            return None
        fresh = await self._refresh(
            lambda stored: stored.access_token != rejected and not self._due(stored)
        )
        if fresh is None or fresh.access_token == rejected:
            return None
        self._pair = fresh
        return fresh.access_token

    async def _refresh(self, still_good: Callable[[TokenPair], bool]) -> TokenPair | None:
        async with self._lock:
            try:
                return await asyncio.to_thread(self._store.refresh, still_good, self._exchange)
            except (ZaloRefused, httpx.HTTPError) as exc:
                logger.error("zalo: the token refresh failed (%s: %s)", type(exc).__name__, exc)
                return None

    def _exchange(self, current: TokenPair) -> TokenPair:
        """Zalo's new pair for ``current``'s refresh token (blocking; under the row lock)."""
        if not self._renewable(current):
            raise ZaloRefused("no app secret or refresh token to refresh with")
        response = httpx.post(
            self._url,
            headers={"secret_key": self._app_secret},
            data={
                "refresh_token": current.refresh_token,
                "app_id": self._app_id,
                "grant_type": "refresh_token",
            },
            timeout=REFRESH_TIMEOUT,
        )
        if response.status_code != 200:
            raise ZaloRefused(f"status {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise ZaloRefused("an answer that is not JSON") from None
        if not isinstance(data, dict):
            raise ZaloRefused("an answer that is not a JSON object")
        access, refresh = data.get("access_token"), data.get("refresh_token")
        try:
            lifetime = int(data.get("expires_in"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            lifetime = 0
        if not isinstance(access, str) or not access or lifetime <= 0:
            raise ZaloRefused(f"error {_code(data)}")
        if not isinstance(refresh, str) or not refresh:
            refresh = current.refresh_token
        logger.info("zalo: access token refreshed, valid for %d s", lifetime)
        return TokenPair(access, refresh, self._clock() + timedelta(seconds=lifetime))


def _code(data: object) -> int | None:
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


class ZaloApi:
    """Sends consultation messages with the current access token.

    Args:
        http: The gateway's shared client.
        settings: The API base URL.
        tokens: The access token.
        backoff: Seconds before the first retry; doubled for each further one.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        tokens: ZaloTokens,
        *,
        backoff: float = BACKOFF_SECONDS,
        attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._http = http
        self._url = settings.zalo_api_base_url.rstrip("/") + MESSAGE_PATH
        self.tokens = tokens
        self._backoff = backoff
        self._attempts = attempts

    async def send(self, user_id: str, message: dict[str, Any], tag: str) -> bool:
        """Send ``message`` to ``user_id``; whether Zalo took it. ``tag`` names the
        conversation in the logs."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        renewed = False
        failures = 0
        while True:
            token = await self.tokens.current()
            wait: float | None = None
            try:
                response = await self._http.post(
                    self._url, json=body, headers={"access_token": token}, timeout=SEND_TIMEOUT
                )
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    reason, wait = f"status {status}", _retry_after(response)
                else:
                    try:
                        code = _code(response.json())
                    except ValueError:
                        code = None
                    if code == 0:
                        return True
                    if code in TOKEN_CODES and not renewed:
                        renewed = True
                        if await self.tokens.renew(token) is not None:
                            continue
                    if code not in RATE_LIMIT_CODES:
                        self._log_refusal(code, status, tag)
                        return False
                    reason = f"error {code}"
            failures += 1
            if failures >= self._attempts:
                logger.error(
                    "zalo: message not sent after %d attempts (%s): conversation=%s",
                    failures,
                    reason,
                    tag,
                )
                return False
            delay = self._backoff * 2 ** (failures - 1)
            delay = min(MAX_BACKOFF_SECONDS, max(delay, wait or 0.0))
            logger.warning("zalo: %s, retrying in %.1f s: conversation=%s", reason, delay, tag)
            await asyncio.sleep(delay)

    @staticmethod
    def _log_refusal(code: int | None, status: int, tag: str) -> None:
        if code == NOT_FOLLOWING:
            why = "the user does not follow the OA"
        elif code == NO_RECENT_INTERACTION:
            why = "the user has not written for 7 days"
        elif code in TOKEN_CODES:
            why = "the access token was rejected and could not be renewed"
        else:
            why = "refused"
        shown = f"error {code}" if code is not None else f"status {status}"
        logger.error("zalo: message not sent, %s (%s): conversation=%s", why, shown, tag)
