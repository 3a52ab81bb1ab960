"""The Telegram channel (python-telegram-bot 22): webhook inside the gateway, or polling."""

from connectors.telegram.channel import TelegramApp, TelegramChannel, build_application

__all__ = ["TelegramApp", "TelegramChannel", "build_application"]
