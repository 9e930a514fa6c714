"""whatworks-analytics: the statistics behind whatworks, usable without the platform.

This package never imports Django or ``whatworks``; data crosses the boundary as polars
frames, numpy arrays or typed dataclasses.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("whatworks-analytics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"
