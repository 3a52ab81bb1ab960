"""The FastAPI gateway: procedure API, chat relay, widget, staff pages."""
