"""`python -m scslab` runs the command line."""

from .cli import main

main()
