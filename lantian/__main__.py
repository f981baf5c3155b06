"""`python -m lantian`: the same as the `lantian` command."""
from lantian.cli import main

main()
