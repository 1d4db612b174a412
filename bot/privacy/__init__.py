"""Pseudonyms, scrubbing of free text, the key file and log redaction."""
