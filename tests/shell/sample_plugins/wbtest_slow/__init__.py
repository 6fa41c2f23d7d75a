"""Test plugins whose panel modules are slow to import (as torch makes the real ones), one of
them failing after the wait: the shell must stay responsive meanwhile."""
