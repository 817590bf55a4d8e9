"""``python -m cifar_lib``: see cifar_lib.cli."""

import sys

from cifar_lib.cli import main

sys.exit(main())
