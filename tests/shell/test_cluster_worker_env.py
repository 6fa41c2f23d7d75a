"""The local cluster's workers run without Dask's ``MALLOC_TRIM_THRESHOLD_=65536``, which made
a PGD part compute about twice as slowly in a worker as here (docs/cluster.md, "Speed"), and
with one OpenMP / MKL / OpenBLAS thread."""

from __future__ import annotations

import os

from workbench import cluster

NAMES = ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def worker_environ() -> dict[str, str | None]:
    return {k: os.environ.get(k) for k in NAMES}


def test_local_workers_keep_glibc_malloc_defaults(local_cluster_2):
    envs = cluster.client_for(local_cluster_2).run(worker_environ)
    assert len(envs) == 2
    for env in envs.values():
        assert env == {"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                       "OPENBLAS_NUM_THREADS": "1"}  # fmt: skip
