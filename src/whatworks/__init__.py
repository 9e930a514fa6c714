"""whatworks: an open platform for evidence-informed children's social care."""

__version__ = "0.1.0"
