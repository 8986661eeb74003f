"""Offline-first voice and touch kiosk assistant."""

__version__ = "0.1.0"
