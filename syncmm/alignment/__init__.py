"""Alignment algorithms on NumPy arrays (no I/O, no printing); ``pipeline`` joins them to the media layer."""
