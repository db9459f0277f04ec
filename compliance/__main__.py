"""`python -m compliance ...`: the command line."""
from compliance.cli import main

main(prog_name="python -m compliance")
