"""A plugin whose manifest fails to import (used to test that the app survives it)."""
