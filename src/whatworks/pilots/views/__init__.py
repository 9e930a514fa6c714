"""Pilot pages, by what they are about: ``pilots`` (the list, the Centre, starting a
pilot, its page), ``data`` (datasets and offline bundles), ``runs`` (runs and reports)
and ``shadow`` (the shadow phase)."""
