"""The resident's conversation: the pure state machine, its vocabulary, screens and texts; the
service that runs one step against the store."""
