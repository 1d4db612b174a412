"""`python -m bot`: the same as the `survey-bot` command."""

import sys

from bot.cli.main import main

sys.exit(main())
