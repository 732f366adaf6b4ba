"""`python -m playground`: the command line, the same as the `nlp-playground` script."""

from playground.frontends.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
