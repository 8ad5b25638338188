"""``python -m evalkit``: the ``evalkit`` command line."""
from evalkit.cli import main

if __name__ == "__main__":
    main(prog_name="evalkit")
