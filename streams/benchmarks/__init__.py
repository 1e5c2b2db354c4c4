"""Benchmarks run by `screening bench`."""
