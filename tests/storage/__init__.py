"""Tests of the stores: the contract every store keeps, SQLite specifics, anonymity."""
