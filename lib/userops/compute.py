"""Customer-level numerics on one thread.

scikit-learn's k-means (OpenMP) and numpy/scipy's BLAS start a thread per core and, between
calls, keep their threads spinning. Where other processes share the cores (papermill's kernel
next to DuckDB, other jobs on the machine), those threads wait for each other and a fit runs
many times slower than on one thread: k-means over The Complete Journey x10's customers took
212 s with the default threads and 32 s on one thread on this 2-core machine under load, and the
results were the same (the centres to 4e-15). The heavy work over transaction lines runs in
DuckDB, whose own threads are not affected; what runs here is customer-level.
"""
from __future__ import annotations

from threadpoolctl import threadpool_limits

__all__ = ["one_thread"]


def one_thread() -> threadpool_limits:
    """A context manager (and decorator) that runs OpenMP and BLAS code on one thread inside it."""
    return threadpool_limits(limits=1)
