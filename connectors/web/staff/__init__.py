"""The counter staff's procedure lookup: search as you type, a procedure's card and the
checklist printed for a citizen (routes in ``connectors/web/routes/staff_lookup.py``)."""
