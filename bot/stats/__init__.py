"""Tallies, disclosure control, published tables, text, charts and exports (pure)."""
