"""The top floor: the ``helpdesk`` command and ``helpdesk run``, the process supervisor.

It only wires the commands each package contributes; nothing below imports it.
"""
