"""Comparison tests: the same app on Carafe and on Flask must answer the same."""
