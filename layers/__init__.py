"""Analytic layers: pure functions, frames and typed parameters in, a frame out.

:mod:`layers.registry` lists them; the map's layer switcher, its legend and the JSON
endpoint ``/api/v1/layers/<id>`` are generated from that registry.
"""
