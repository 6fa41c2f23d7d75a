"""Analysis workbench for machine-learning research on mathematical and scientific data.

The package ``workbench`` is the shell: plugin discovery, background jobs, figure
export, sessions, preferences and the command line.  Everything outside
``workbench.gui`` is Qt-free, so the same jobs run headless.
"""

from workbench import threadsafe_ast as _threadsafe_ast

__version__ = "0.1.0"
DISTRIBUTION = "mlsci-workbench"

# numpy reads .npy headers with ast.literal_eval; on Python < 3.13 two job threads doing so
# at once can fail with "AST constructor recursion depth mismatch" (see the module).
_threadsafe_ast.install()
