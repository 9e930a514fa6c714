"""Writes of the research registry.  Every function is keyword-only, atomic and audited.

Split by process: ``projects`` (create, edit, publish, withdraw, embargo release),
``protocols`` (draft and register, including amendments), ``requests`` (the team asks
editors to publish or withdraw) and ``results``.  Their refusal,
``RegistryError``, is in ``registry/errors.py``.  Import from the module that does the work.
"""
