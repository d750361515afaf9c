"""Assist service: pre-processing, pre-labels, refinement, post-processing."""
