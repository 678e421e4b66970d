"""``python -m kg`` runs the command line, like the ``kg`` script."""
import sys

from kg.cli import main

sys.exit(main())
