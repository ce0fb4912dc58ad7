"""`python -m summarize`: the same command as the `summarize` console script."""

from summarize.cli import main

main()
