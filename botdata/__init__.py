"""The bot's generated training data: lookup tables and synonyms for ``bot/data/generated``.

Runs in ``.venv`` (``helpdesk bot generate``); Rasa never imports it: the files it writes are
plain Rasa 3.x training-data YAML.
"""
