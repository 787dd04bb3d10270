"""Benchmarks of fastloss (run `python -m fastloss.bench --help`)."""
