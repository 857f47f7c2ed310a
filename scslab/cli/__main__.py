"""`python -m scslab.cli` runs the command line."""

from . import main

main()
