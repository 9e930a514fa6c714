"""Settings: ``base`` holds everything; ``dev``, ``test`` and ``prod`` adjust it.

``WHATWORKS_ENV`` (``development`` by default, ``production``, ``test``) picks the module
when ``DJANGO_SETTINGS_MODULE`` is not set; see :mod:`whatworks.config.env`.
"""
