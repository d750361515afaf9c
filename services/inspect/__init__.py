"""Inspect service: warn the annotator when a label breaks defined criteria."""
