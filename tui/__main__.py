"""`python -m tui` runs the terminal chat."""

from tui.cli import main

if __name__ == "__main__":
    main()
