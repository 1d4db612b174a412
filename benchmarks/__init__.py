"""Benchmarks of Trygghetsbot: `python -m benchmarks` (see docs/performance.md).

Every figure is a ratio against a baseline measured in the same run, because absolute times on
a shared machine are noise.
"""
