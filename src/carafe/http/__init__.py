"""HTTP primitives: status codes, headers, cookies, multi-value dicts and form parsing.

Nothing in this package imports from the rest of Carafe, so it can be used and
tested on its own.
"""
