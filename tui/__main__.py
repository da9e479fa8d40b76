"""`python -m tui` runs the terminal chat."""

from tui.app import main

if __name__ == "__main__":
    main()
