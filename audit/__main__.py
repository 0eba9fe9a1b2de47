"""Allow ``python -m audit`` (used inside containers, where no console script may be on PATH)."""

from audit.cli import main

if __name__ == "__main__":
    main()
