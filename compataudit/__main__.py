"""``python -m compataudit``."""

from compataudit.cli.app import main

if __name__ == "__main__":
    main()
