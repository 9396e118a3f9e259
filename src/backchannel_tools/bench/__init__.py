"""Benchmarks behind `backchannel bench ...`: each prints a table. See docs/benchmarks.md."""
