"""Channel errors. The gateway maps them to HTTP in ``connectors/web/errors.py``."""

from __future__ import annotations

from helpdesk.errors import HelpdeskError


class ChannelError(HelpdeskError):
    """Base of the errors raised by the channels and the gateway."""


class BotUnavailable(ChannelError):
    """Rasa could not be reached, timed out, or answered something unusable.

    The message names the cause (``timeout``, ``unreachable``, ``status 500`` …), never the
    citizen's text.
    """


class MessageTooLong(ChannelError):
    """A message longer than ``settings.max_message_chars``."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"the message has {length} characters; the limit is {limit}")
        self.length = length
        self.limit = limit


class RequestTooLarge(ChannelError):
    """A request body larger than the gateway accepts (checked before parsing)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


class RateLimited(ChannelError):
    """Too many messages from one conversation or one address in the current window."""

    def __init__(self, scope: str, retry_after_seconds: int) -> None:
        super().__init__(
            f"too many messages from this {scope}; try again in {retry_after_seconds} s"
        )
        self.scope = scope
        self.retry_after_seconds = retry_after_seconds


class WebhookForbidden(ChannelError):
    """A webhook call with a wrong secret or signature (Telegram, Zalo, Messenger)."""


class WebhookUnauthorized(ChannelError):
    """A webhook call without its platform's signature at all (Zalo, Messenger)."""


class ChannelUnavailable(ChannelError):
    """A messaging channel (Zalo, Messenger) is not running in this process."""


class TelegramUnavailable(ChannelError):
    """The Telegram channel is not running in this process (not configured, or failed)."""


class InvalidUpdate(ChannelError):
    """A webhook body that is not what its platform sends (a Telegram update, a Zalo event,
    a Graph API page event)."""


class InvalidRequest(ChannelError):
    """A request the gateway cannot read: not strict JSON, or not the route's schema.

    ``problems`` name the fields and what is wrong with them, never the values sent.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems) or "the request is not valid")
        self.problems = problems


class StaffAccessError(ChannelError):
    """Base of the staff pages' refusals: answered as a page to a browser, else as JSON."""


class SignInRequired(StaffAccessError):
    """No valid staff session.

    ``location`` is the sign-in page to send a browser to (an HTML page asked for with GET:
    answered 303); None means answer 401.
    """

    def __init__(self, location: str | None = None) -> None:
        super().__init__("sign in on /staff/login first")
        self.location = location


class StaffForbidden(StaffAccessError):
    """A signed-in officer asked for a page that only an admin may see."""


class CsrfRejected(StaffAccessError):
    """A staff form or request sent without its anti-forgery token, or with a wrong one."""
