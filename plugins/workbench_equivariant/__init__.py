"""Permutation-equivariant linear layers in the partition algebra's diagram basis (issue 18).

Headless for now: the Qt-free core (:mod:`workbench_equivariant.core`), jobs and CLI
(``workbench equivariant dims|check``).  See docs/equivariant.md.
"""
