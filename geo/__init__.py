"""Geometry: datums, H3 cells, jurisdictions and addresses."""
