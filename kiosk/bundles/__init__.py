"""Signed model and knowledge bundles: build, verify, install with automatic revert, roll back."""
