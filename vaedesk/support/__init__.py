"""Plumbing shared by every part: atomic writes, safe reads, limits, paths, settings, logs."""
