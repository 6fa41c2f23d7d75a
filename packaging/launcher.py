"""Entry script of the standalone (PyInstaller) build."""

import sys

from workbench.cli import main

sys.exit(main())
