"""The tutorial apps Carafe grew from (see ``README.md`` in this folder)."""
