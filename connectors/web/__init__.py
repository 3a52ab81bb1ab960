"""The FastAPI gateway: procedure API, chat relay, widget, Telegram webhook, health."""
