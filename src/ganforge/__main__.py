"""``python -m ganforge`` runs the command line (also under ``torchrun``)."""

from ganforge.cli import main

if __name__ == "__main__":
    main()
