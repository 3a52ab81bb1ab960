"""Channels in front of the assistant: the HTTP gateway, the web widget, Telegram."""
