#!/usr/bin/env python
"""Django's command-line utility; ``whatworks`` is the friendlier front door."""

import os
import sys


def main() -> None:
    from whatworks.config.env import settings_module

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())
    os.umask(0o077)  # as `whatworks` does: files and folders it creates are private
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
