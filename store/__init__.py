"""The record store: application records for status lookups, feedback and handoff notes.

Import from the modules themselves (``store.lookup``, ``store.db`` ...): the package imports
nothing, so that ``store.cli`` (loaded on every ``helpdesk`` start) stays light.
"""
