"""Citizen helpdesk: shared settings, errors and the command line."""
