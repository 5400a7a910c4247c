"""reelforge: story document in, trailer package out."""

__version__ = "0.1.0"
