"""``python -m evalkit``: the ``evalkit`` command line (:func:`evalkit.cli.entry`, as the console script)."""
from evalkit.cli import entry

if __name__ == "__main__":
    entry()
