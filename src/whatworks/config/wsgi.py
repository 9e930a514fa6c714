"""WSGI entry point for any WSGI server (``whatworks serve`` uses waitress)."""

import os

from django.core.wsgi import get_wsgi_application

from whatworks.config.env import settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())
# Whatever this process creates (uploads, the SQLite database) is its own user's only.
os.umask(0o077)

application = get_wsgi_application()
