"""Selector service: the sample pool, active-learning strategies, leases, labels."""
