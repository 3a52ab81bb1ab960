"""Citizen helpdesk's ground floor: settings, errors and the answer languages.

Every other package may import it; it imports none of them.
"""
