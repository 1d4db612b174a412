"""Storage: the `Store` protocol and its implementations (SQLite by default)."""
