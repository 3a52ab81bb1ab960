"""Custom Rasa NLU components.

The Rasa-facing classes live in ``folding`` and ``language``; ``text`` holds their pure-Python
logic (no Rasa import) so the project's own test suite can check it in the modern environment.
Nothing is re-exported here: importing this package must not import Rasa.
"""
