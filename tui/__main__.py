"""`python -m tui` runs the terminal chat."""

from tui.launch import main

if __name__ == "__main__":
    main()
