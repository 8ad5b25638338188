"""``python -m evalkit``: the ``evalkit`` command line."""
from evalkit.cli import main, skip_iri_grammars

if __name__ == "__main__":
    skip_iri_grammars()
    main(prog_name="evalkit")
