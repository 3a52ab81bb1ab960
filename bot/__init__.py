"""The Rasa assistant: domain, training data, custom NLU components (run in .venv-rasa)."""
