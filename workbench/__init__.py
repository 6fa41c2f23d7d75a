"""Analysis workbench for machine-learning research on mathematical and scientific data.

The package ``workbench`` is the shell: plugin discovery, background jobs, figure
export, sessions, preferences and the command line.  Everything outside
``workbench.gui`` is Qt-free, so the same jobs run headless.
"""

__version__ = "0.1.0"
DISTRIBUTION = "mlsci-workbench"
