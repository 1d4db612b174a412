"""Crash, fault, flood and end-to-end anonymity tests of the real bot (issues 4 and 6)."""
