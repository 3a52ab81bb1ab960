"""Live handoff in the gateway: pausing the bot, relaying a handed-off conversation's turns
to the staff inbox, and delivering staff replies to the citizen's channel."""
