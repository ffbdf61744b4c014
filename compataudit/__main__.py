"""``python -m compataudit``."""

from compataudit.cli import main

if __name__ == "__main__":
    main()
