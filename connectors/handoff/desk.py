"""What a staff member does with a handed-off conversation, across the store, Rasa and the
citizen's channel: claim it, reply, hand it back to the bot, close it.

The order of the steps keeps the bot and the inbox in agreement when a part fails:

* claim: pause the bot first, then the conditional claim in the store (one replica wins); a
  claim that lost to a hand-back or close in between resumes the bot again. A bot that
  cannot be paused leaves the conversation waiting (nothing changed);
* hand back / close: resume the bot first, then end the handoff in the store;
* a claimed conversation is marked as handed to a person for the analytics
  (``store.analytics.mark_handed_off``);
* a reply is cleaned of personal data before it is stored and sent, but for the public
  numbers (the hotline, the centers' phones) an officer may give;
* every step's notice and every reply is stored first (the widget's stream reads the
  store) and then sent to Telegram, Zalo or Messenger, marked as sent once it left; what a
  gateway stored but could not send (it stopped, the platform failed) is sent by any
  replica's :meth:`HandoffDesk.redeliver` a little later, so nothing is lost on a restart.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from connectors.handoff.bot_pause import BotPause
from connectors.handoff.delivery import StaffDelivery
from helpdesk.errors import StoreUnavailable
from helpdesk.messages import text as message_text
from helpdesk.settings import Settings
from offices.centers import CenterDirectory
from store.analytics import conversation_hash, mark_handed_off
from store.handoff import (
    LiveMessage,
    LiveView,
    Outgoing,
    claim_live,
    end_live,
    finish_delivery,
    get_live,
    staff_reply,
    take_deliveries,
)
from store.personal import public_digits

logger = logging.getLogger(__name__)

ENDING_NOTICES = {"returned": "handoff.returned", "closed": "handoff.closed"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a step did: ``done`` False with ``problem`` a key of what the page says."""

    done: bool
    problem: str | None = None
    view: LiveView | None = None
    delivered: bool = True


def public_numbers(settings: Settings) -> list[str]:
    """The numbers an officer may give a citizen in clear: the hotline and the phones in the
    service centers' contact data (just the hotline when that data cannot be read)."""
    try:
        directory = CenterDirectory.from_dir(settings.service_centers_dir, settings.hotline)
    except Exception:
        logger.warning("handoff: the service centers' phones could not be read")
        return [settings.hotline]
    return directory.phone_numbers()


class HandoffDesk:
    """The staff side of live handoff, for one gateway replica."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        pause: BotPause,
        delivery: StaffDelivery,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.pause = pause
        self.delivery = delivery
        self._secret = settings.secret_key.get_secret_value()
        self._public = public_digits(public_numbers(settings))

    async def _deliver(self, view: LiveView) -> bool:
        """Send what the step just stored for a Telegram, Zalo or Messenger user; whether
        all of it left (a web conversation's stream reads the store: always True)."""
        try:
            taken = await asyncio.to_thread(
                take_deliveries, self.sessions, conversation_id=view.conversation_id
            )
        except StoreUnavailable:
            return False
        return await self._send(taken)

    async def _send(self, taken: list[Outgoing]) -> bool:
        sent_all = True
        for outgoing in taken:
            sent = await self.delivery.deliver(outgoing.conversation_id, outgoing.text)
            sent_all = sent_all and sent
            try:
                await asyncio.to_thread(finish_delivery, self.sessions, outgoing, sent=sent)
            except StoreUnavailable:
                logger.error("handoff: a delivery could not be recorded; it will be tried again")
        return sent_all

    async def redeliver(self) -> int:
        """Send the messages left unsent: stored by a gateway that stopped before sending
        them, or whose channel failed (tried again a few times). Returns how many were
        taken; any replica may run this, each message is taken by one."""
        try:
            taken = await asyncio.to_thread(take_deliveries, self.sessions)
        except StoreUnavailable:
            return 0
        if taken:
            logger.info("handoff: sending %d message(s) left unsent", len(taken))
        await self._send(taken)
        return len(taken)

    async def redeliver_forever(self, every: float) -> None:
        """:meth:`redeliver` every ``every`` seconds (the gateway's background task)."""
        while True:
            try:
                await self.redeliver()
            except Exception:
                logger.exception("handoff: redelivery failed; trying again later")
            await asyncio.sleep(every)

    async def claim(self, handoff_id: int, actor: str, client: str | None) -> Outcome:
        view = await asyncio.to_thread(get_live, self.sessions, handoff_id)
        if view is None:
            return Outcome(False, "missing")
        if view.state not in ("waiting", "pending"):
            return Outcome(False, "taken", view)
        try:
            await self.pause.pause(view.conversation_id)
        except Exception:
            return Outcome(False, "bot", view)
        notice = message_text("handoff.claimed", view.language)
        claimed = await asyncio.to_thread(
            claim_live,
            self.sessions,
            handoff_id,
            actor=actor,
            secret=self._secret,
            notice=notice,
            client=client,
        )
        if claimed is None:
            now = await asyncio.to_thread(get_live, self.sessions, handoff_id)
            if now is not None and now.state != "claimed":
                await self._resume_quietly(now)
            return Outcome(False, "taken", now)
        await self._mark_for_analytics(claimed)
        delivered = await self._deliver(claimed)
        return Outcome(True, view=claimed, delivered=delivered)

    async def reply(
        self, handoff_id: int, actor: str, text: str, client: str | None
    ) -> tuple[Outcome, LiveMessage | None]:
        message = await asyncio.to_thread(
            staff_reply,
            self.sessions,
            handoff_id,
            actor=actor,
            secret=self._secret,
            text=text,
            client=client,
            public=self._public,
        )
        if message is None:
            return Outcome(False, "not_yours"), None
        view = await asyncio.to_thread(get_live, self.sessions, handoff_id)
        assert view is not None
        delivered = await self._deliver(view)
        return Outcome(True, view=view, delivered=delivered), message

    async def end(self, handoff_id: int, to: str, actor: str, client: str | None) -> Outcome:
        """Hand back (``to="returned"``) or close (``to="closed"``)."""
        view = await asyncio.to_thread(get_live, self.sessions, handoff_id)
        if view is None:
            return Outcome(False, "missing")
        if view.state == "claimed":
            try:
                await self.pause.resume(view.conversation_id)
            except Exception:
                return Outcome(False, "bot", view)
        notice = message_text(ENDING_NOTICES[to], view.language)
        ended = await asyncio.to_thread(
            end_live,
            self.sessions,
            handoff_id,
            to=to,
            actor=actor,
            secret=self._secret,
            notice=notice,
            client=client,
        )
        if ended is None:
            return Outcome(False, "ended", view)
        new, before = ended
        if before == "claimed" and view.state != "claimed":
            await self._resume_quietly(new)
        delivered = await self._deliver(new)
        return Outcome(True, view=new, delivered=delivered)

    async def _mark_for_analytics(self, view: LiveView) -> None:
        """The analytics count the conversation as handed to a person (its latest turn)."""
        try:
            await asyncio.to_thread(
                mark_handed_off,
                self.sessions,
                conversation_hash(self._secret, view.conversation_id),
            )
        except Exception:
            logger.exception("handoff: the analytics could not mark the conversation")

    async def _resume_quietly(self, view: LiveView) -> None:
        try:
            await self.pause.resume(view.conversation_id)
        except Exception:
            logger.error("handoff: the bot could not be resumed after a lost claim")
