"""Catalogue publishing: staged uploads, validation and diff, index builds and live swaps.

Between the parts it joins (the catalogue in ``knowledge``, the release rows in ``store``) and
the processes that use it (the gateway and the action server).
"""
