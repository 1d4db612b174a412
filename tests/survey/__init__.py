"""Tests of the survey definition: loading, checks, version, the shipped survey."""
