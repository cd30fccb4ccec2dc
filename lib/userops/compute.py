"""Customer-level numerics on one thread, and a fast ``isin`` for customer ids.

scikit-learn's k-means (OpenMP) and numpy/scipy's BLAS start a thread per core and, between
calls, keep their threads spinning. Where other processes share the cores (papermill's kernel
next to DuckDB, other jobs on the machine), those threads wait for each other and a fit runs
many times slower than on one thread: k-means over The Complete Journey x10's customers took
212 s with the default threads and 32 s on one thread on this 2-core machine under load, and the
results were the same (the centres to 4e-15). The heavy work over transaction lines runs in
DuckDB, whose own threads are not affected; what runs here is customer-level.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

__all__ = ["one_thread", "single_threaded", "isin"]


def one_thread() -> threadpool_limits:
    """A context manager (and decorator) that runs OpenMP and BLAS code on one thread inside it."""
    return threadpool_limits(limits=1)


def single_threaded(fn):
    """Decorator: ``fn`` runs inside :func:`one_thread` (the limit is set at each call, not at
    import)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with one_thread():
            return fn(*args, **kwargs)
    return wrapper


def isin(x: pd.Series | pd.Index, among: object) -> pd.Series | np.ndarray:
    """``x.isin(among)``, fast for text: pandas 3's ``isin`` on its Arrow-backed text turns
    every value of ``among`` into an Arrow scalar one by one (5 s for 170,000 customer ids);
    here both sides are compared as Python objects through a hash table (0.4 s). Other dtypes
    go to pandas' own ``isin``. A Series gives a Series on its index, an Index an array."""
    if not isinstance(x.dtype, pd.StringDtype):
        return x.isin(among)
    if isinstance(among, (set, frozenset)):
        among = list(among)
    return x.astype(object).isin(pd.Index(among, dtype=object))
