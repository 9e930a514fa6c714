"""Local development and ``make demo``: SQLite under var/, e-mail to the console.

DEBUG stays off unless DEBUG=1, so the demo shows the friendly error pages people will see.
"""

import os

from whatworks.config.settings.base import *  # noqa: F403

DEBUG = os.environ.get("DEBUG", "").lower() in {"1", "true", "yes"}
