"""``python -m carafe ...``: the same command line as the ``carafe`` script."""

from __future__ import annotations

from carafe.cli import main

if __name__ == "__main__":
    main()
