"""`survey-bot` and its subcommands; bootstrap of settings, logging and the store."""
