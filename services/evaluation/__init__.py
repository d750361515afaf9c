"""Benchmarks that reproduce the paper on any dataset folder: label efficiency of selection strategies and pre-label quality."""
