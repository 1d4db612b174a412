"""The admin's survey file: models, loading with located errors, checks, version, summary (pure)."""
