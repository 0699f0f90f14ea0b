"""`python -m engine.cli` runs the same command line as the `crossbook` script."""

from engine.cli import main

main()
