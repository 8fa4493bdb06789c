"""Benchmarks: `make bench` runs every module here and rewrites docs/BENCHMARKS.md."""
