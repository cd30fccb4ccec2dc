"""The one place that aggregates raw transaction lines: ibis expressions run on one engine.

The engine is embedded DuckDB by default, or Spark (:func:`spark`, a local session or one the
notebook already has), or any ibis connection given to :func:`use`; ``USEROPS_ENGINE``
(``duckdb`` or ``spark``, set by ``python -m userops report --engine``) chooses it for a run.
A pandas DataFrame enters through :func:`memtable`; a Parquet path is read in place (out of
core) by the engine; an ibis Table of the engine is used as it is. Money is summed as integer
cents and converted once; outputs have explicit types and are sorted on return, so results do
not depend on the engine or on the order of the input rows (tests/test_engines.py checks that
DuckDB and Spark agree exactly).
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import os
import sys
import tempfile
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from userops import schema as s

__all__ = ["ENGINES", "connect", "spark", "use", "engine", "engine_name", "memtable",
           "as_table", "lines", "orders", "keep_orders", "collapse", "rfm", "recency_snapshots",
           "period_bounds", "period_activity", "monthly_activity", "order_days", "order_days_table",
           "window_orders", "category_spend",
           "weekly_activity", "weekly_table", "as_weekly", "first_weeks", "week_windows", "week_rows",
           "window_spend", "first_line", "preferences", "purchase_days"]

ENGINES = ("duckdb", "spark")  # the names ``USEROPS_ENGINE`` and ``--engine`` accept
_ENV = "USEROPS_ENGINE"
_COUNTER = itertools.count()
_CHOSEN: list[ibis.BaseBackend] = []  # the connection given to :func:`use`, if any
_ORDERS_AT: dict = {}  # lines (ibis operation) -> (cut-off, Parquet file of their orders): keep_orders
_PERIODS = {"Q": pd.DateOffset(months=3), "M": pd.DateOffset(months=1),
            "13W": pd.Timedelta(days=91), "4W": pd.Timedelta(days=28)}


@functools.cache
def connect(threads: int | None = None, memory_limit: str | None = None) -> ibis.BaseBackend:
    """An embedded DuckDB connection (one per settings, reused), session time zone UTC."""
    con = ibis.duckdb.connect(threads=threads, memory_limit=memory_limit) if (
        threads or memory_limit) else ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    return con


def spark(session: object | None = None, *, master: str = "local[2]") -> ibis.BaseBackend:
    """An ibis connection to Spark: ``session`` (a ``SparkSession`` the notebook already has, e.g.
    on a cluster) or, when none is given, a local session on ``master`` (``local[2]``: two
    worker threads on this machine, with ``USEROPS_SPARK_MEMORY`` of memory, 4g by default),
    started once and reused; its JVM logs to ``<temp dir>/userops-spark-<pid>.log``. Needs the
    ``spark`` extra (``pip install 'userops[spark]'``) and Java 17 or later. The session's time zone is set to
    UTC (ibis does so on connect): transaction times are local wall-clock times, never shifted.
    A NaN in a float column is read as missing (NULL), as DuckDB reads a pandas frame's NaN,
    and pandas frames cross to Spark through Arrow (both set on the session)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise ImportError("the Spark engine needs pyspark and ibis's pyspark backend: "
                          "pip install 'userops[spark]' (and Java 17 or later)") from err
    # a missing number in a pandas frame is NaN; DuckDB reads it as NULL, Spark keeps NaN (and
    # NaN * 100 cast to cents fails): read NaN as NULL on Spark too, as ibis offers
    ibis.pyspark  # loads the backend and its options
    ibis.options.pyspark.treat_nan_as_null = True
    if session is None:
        return _local_spark(master)
    if not isinstance(session, SparkSession):
        raise TypeError(f"`session` must be a pyspark SparkSession, not {type(session).__name__}")
    return _connect_spark(session)


def _connect_spark(session: object) -> ibis.BaseBackend:
    # pandas frames cross to Spark through Arrow, which keeps a missing text value missing
    # (without it pandas 3's missing text arrives as the string "NaN"); no silent fallback
    session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    session.conf.set("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
    return ibis.pyspark.connect(session)


def local_spark_running() -> bool:
    """Whether this process has started a local Spark session (:func:`spark` without one)."""
    return bool(_STARTED)


def stop_local_spark() -> None:
    """Stop the local Spark sessions this process started, and forget them: the report's runner
    does so once the lines are validated, so that its JVM does not hold memory while the
    steps' kernels run their own."""
    if not _STARTED:
        return
    for con in _STARTED:
        con._session.stop()
    _STARTED.clear()
    _local_spark.cache_clear()
    # stopping the session leaves its JVM running (and holding its memory) until Python exits:
    # end it too; a later session starts a new one
    from pyspark import SparkContext
    gateway = SparkContext._gateway
    if gateway is not None:
        proc = getattr(gateway, "proc", None)
        gateway.shutdown()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        SparkContext._gateway = None
        SparkContext._jvm = None


_STARTED: list[ibis.BaseBackend] = []


@functools.cache
def _local_spark(master: str) -> ibis.BaseBackend:
    from pyspark.sql import SparkSession
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # the driver listens on loopback only
    # Python code on the workers (the pandas parse of odd transaction lines) runs in this
    # interpreter, with this environment's packages
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master).appName("userops")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
               .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
               .config("spark.driver.memory", os.environ.get("USEROPS_SPARK_MEMORY", "4g"))
               # a local session has a few cores: a few shuffle partitions, not 200
               .config("spark.sql.shuffle.partitions", "4"))
    # the JVM writes its start-up notices (and later log lines) to the standard streams it
    # inherits, which a notebook shows: it gets a log file instead, so pages stay the same
    log = Path(tempfile.gettempdir()) / f"userops-spark-{os.getpid()}.log"
    with _streams_to(log):
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    con = _connect_spark(session)
    _STARTED.append(con)
    return con


@contextlib.contextmanager
def _streams_to(path: Path):
    """Standard output and error of this process (file descriptors 1 and 2, which a child
    process inherits) go to ``path`` inside the block."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def use(con: ibis.BaseBackend | object | None) -> ibis.BaseBackend | None:
    """Run every features table on ``con`` from now on: an ibis connection (DuckDB, Spark, a
    warehouse ibis supports) or a ``SparkSession``; ``None`` goes back to ``USEROPS_ENGINE``
    (DuckDB by default). Returns the connection in use."""
    _CHOSEN.clear()
    if con is None:
        return None
    if not isinstance(con, ibis.BaseBackend):
        con = spark(con)
    _CHOSEN.append(con)
    return con


def engine() -> ibis.BaseBackend:
    """The connection features run on: the one given to :func:`use`, else the engine named by
    the environment variable ``USEROPS_ENGINE`` (``duckdb``, the default, or ``spark``)."""
    if _CHOSEN:
        return _CHOSEN[0]
    name = os.environ.get(_ENV, "duckdb").strip().lower() or "duckdb"
    if name == "duckdb":
        return connect()
    if name == "spark":
        return spark()
    raise ValueError(f"{_ENV}={name!r} is not an engine; expected one of {list(ENGINES)}")


def wanted() -> str:
    """The backend name :func:`engine` would give (``duckdb``, ``pyspark``, ...), without
    connecting: the loader asks before it starts Spark."""
    if _CHOSEN:
        return _CHOSEN[0].name
    name = os.environ.get(_ENV, "duckdb").strip().lower() or "duckdb"
    return "pyspark" if name == "spark" else name


def engine_name(con: ibis.BaseBackend | None = None) -> str:
    """The backend name of ``con`` (default: :func:`engine`), e.g. ``duckdb`` or ``pyspark``."""
    return (con or engine()).name


def memtable(frame: pd.DataFrame) -> ibis.Table:
    """``frame`` as an in-memory ibis table that every engine reads alike. Text columns go in as
    Python objects: pyspark 4.0 cannot take pandas 3's Arrow-backed text columns through Arrow
    (a chunked column fails), and reads objects with the missing values kept missing."""
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    if not text:
        return ibis.memtable(frame)
    schema = ibis.memtable(frame).schema()  # the types as inferred from pandas' own dtypes
    return ibis.memtable(frame.astype({c: object for c in text}), schema=schema)


def as_table(tx: pd.DataFrame | str | Path | ibis.Table, *, con: ibis.BaseBackend | None = None,
             columns: tuple[str, ...] = (s.CUSTOMER_ID, s.ORDER_ID, s.TS, s.AMOUNT)) -> ibis.Table:
    """Wrap transactions as an ibis Table: a DataFrame, a Parquet file/glob, or a Table.

    A DataFrame is copied into DuckDB with only the ``columns`` it has (the others are not
    needed); a Parquet file or a Table keeps all its columns, read lazily.
    """
    if isinstance(tx, ibis.Table):
        return tx
    if isinstance(tx, pd.DataFrame):
        return memtable(tx[[c for c in columns if c in tx.columns]])
    if isinstance(tx, (str, Path)):
        return (con or engine()).read_parquet(str(tx))
    raise TypeError(f"`tx` must be a pandas DataFrame, a Parquet path or an ibis Table, "
                    f"not {type(tx).__name__}")


def lines(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
          window_days: int | None = None, columns: tuple[str, ...] = (s.CUSTOMER_ID, s.ORDER_ID, s.TS, s.AMOUNT),
          con: ibis.BaseBackend | None = None) -> ibis.Table:
    """Transaction lines up to the end of ``as_of`` (local time), optionally only the last
    ``window_days`` days: the one place the cut-off and the window are applied to lines."""
    t = as_table(tx, con=con, columns=columns)
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    keep = t[s.TS] < ibis.literal(end.to_pydatetime())
    if window_days is not None:
        keep = keep & (t[s.TS] >= ibis.literal((end - pd.Timedelta(days=window_days)).to_pydatetime()))
    return t.filter(keep)


def keep_orders(tx: ibis.Table, *, as_of: str | pd.Timestamp, path: Path) -> None:
    """Let :func:`orders` of the lines ``tx`` at ``as_of`` be written once to the Parquet file
    ``path`` and read from it afterwards, on DuckDB (:meth:`userops.datasets.Dataset.lines`
    does so for the lines of a prepared folder: every step collapses the same lines at the same
    cut-off, and the orders, a tenth of the lines, are then read instead of the lines)."""
    _ORDERS_AT[tx.op()] = (pd.Timestamp(as_of).normalize(), Path(path))


def orders(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp) -> ibis.Table:
    """Collapse lines to one row per order: customer_id, order_id, day, cents (net, int64).

    Lines at or after the day after ``as_of`` are ignored; an order's day is the day of its
    first line. An order table (from :func:`collapse`) is filtered to ``as_of`` and returned.
    Lines given to :func:`keep_orders` are collapsed once and read back from its file.
    """
    t = as_table(tx)
    if _is_orders(t):
        return t.filter(t.day <= ibis.literal(pd.Timestamp(as_of).date()))
    kept = _ORDERS_AT.get(t.op())
    if kept is not None and kept[0] == pd.Timestamp(as_of).normalize() and engine_name() == "duckdb":
        return _orders_file(t, as_of=as_of, path=kept[1])
    return _orders(t, as_of=as_of)


def _orders_file(t: ibis.Table, *, as_of: str | pd.Timestamp, path: Path) -> ibis.Table:
    """The orders of the lines ``t`` at ``as_of``, written to ``path`` when it is not there
    (whole or not at all) and read from it."""
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            # the types as the schema says (ibis leaves out a cast of a sum that DuckDB widens)
            sql = ibis.to_sql(_orders(t, as_of=as_of), dialect="duckdb")
            cols = ", ".join(f'CAST("{name}" AS {typ}) AS "{name}"' for name, typ in
                             ((s.CUSTOMER_ID, "VARCHAR"), (s.ORDER_ID, "VARCHAR"), ("day", "DATE"), ("cents", "BIGINT")))
            target = str(tmp).replace("'", "''")
            engine().raw_sql(f"COPY (SELECT {cols} FROM ({sql})) TO '{target}' (FORMAT parquet)")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return engine().read_parquet(str(path))


def _orders(t: ibis.Table, *, as_of: str | pd.Timestamp) -> ibis.Table:
    t = lines(t, as_of=as_of)
    cents = (t[s.AMOUNT] * 100).round().cast("int64")
    return (t.mutate(_cents=cents)
            .group_by([s.CUSTOMER_ID, s.ORDER_ID])
            .aggregate(day=t[s.TS].min().date(), cents=ibis.deferred["_cents"].sum().cast("int64")))


def collapse(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
             con: ibis.BaseBackend | None = None) -> ibis.Table:
    """Collapse lines to orders once and keep them in the engine, for several features in a row.

    :func:`rfm` and :func:`recency_snapshots` accept the result in place of the lines; the
    line-level scan, the costly part, then runs once.
    """
    return _keep(orders(tx, as_of=as_of), con=con or engine(), prefix="_orders")


def rfm(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
        window_days: int = 365, recent_days: int = 90, con: ibis.BaseBackend | None = None
        ) -> pd.DataFrame:
    """Transform transaction lines into one row per customer with R, F, M and lifecycle inputs.

    Columns: ``customer_id``; ``recency_days`` (days from the last order with positive net
    value, or the last order if none, to ``as_of``); ``frequency`` (orders with positive net
    value in the ``window_days`` ending at ``as_of``); ``monetary`` (net spend in the window,
    returns netted); ``first_day``/``last_day``; ``tenure_days`` (days from the first order to
    ``as_of``); ``spend_recent``/``spend_prior`` (net spend in
    the last ``recent_days`` and the ``recent_days`` before); ``max_recent_gap_days`` (the
    longest gap between shopping days that ended within the last ``recent_days``, 0 if none).
    Every customer with an order up to ``as_of`` is present, including those with none in the
    window.
    """
    o = orders(tx, as_of=as_of)
    as_of_d = pd.Timestamp(as_of).date()
    age = ibis.literal(as_of_d).delta(o.day, unit="day")
    o = o.mutate(age=age.cast("int64"))
    in_window = o.age < window_days
    positive = o.cents > 0
    agg = o.group_by(s.CUSTOMER_ID).aggregate(
        first_day=o.day.min(), last_day=o.day.max(), tenure=o.age.max(),
        last_pos_age=o.age.min(where=positive), last_age=o.age.min(),
        frequency=(in_window & positive).cast("int64").sum(),
        m_cents=o.cents.sum(where=in_window),
        recent_cents=o.cents.sum(where=o.age < recent_days),
        prior_cents=o.cents.sum(where=(o.age >= recent_days) & (o.age < 2 * recent_days)),
    )
    gaps = _recent_gaps(o, recent_days=recent_days)
    out = agg.left_join(gaps, s.CUSTOMER_ID).select(
        s.CUSTOMER_ID,
        recency_days=ibis.coalesce(agg.last_pos_age, agg.last_age).cast("int64"),
        frequency=agg.frequency.cast("int64"),
        monetary=(ibis.coalesce(agg.m_cents, 0).cast("float64") / 100.0),
        first_day=agg.first_day, last_day=agg.last_day, tenure_days=agg.tenure.cast("int64"),
        spend_recent=(ibis.coalesce(agg.recent_cents, 0).cast("float64") / 100.0),
        spend_prior=(ibis.coalesce(agg.prior_cents, 0).cast("float64") / 100.0),
        max_recent_gap_days=ibis.coalesce(gaps.max_gap, 0).cast("int64"),
    )
    return _fetch(out, con=con, order_by=[s.CUSTOMER_ID], dates=["first_day", "last_day"])


def recency_snapshots(tx: pd.DataFrame | str | Path | ibis.Table, *, snapshots: list[pd.Timestamp],
                      horizon_days: int = 30, con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """For each snapshot day and each customer who shopped on or before it: recency and return.

    Returns ``customer_id, snapshot, recency_days, returned`` where ``returned`` is whether the
    customer had an order in the ``horizon_days`` after the snapshot. Snapshots must end their
    horizon on or before the data's cut-off: the caller chooses them. No snapshot days (too
    short a history for one) give an empty frame with these columns.
    """
    if not snapshots:
        return pd.DataFrame({s.CUSTOMER_ID: pd.Series(dtype=object),
                             "snapshot": pd.Series(dtype="datetime64[ns]"),
                             "recency_days": pd.Series(dtype="int64"),
                             "returned": pd.Series(dtype=bool)})
    last = max(pd.Timestamp(d) for d in snapshots) + pd.Timedelta(days=horizon_days)
    o = orders(tx, as_of=last)
    days = _unique(o.select(s.CUSTOMER_ID, "day"))
    w = ibis.window(group_by=days[s.CUSTOMER_ID], order_by=days.day)
    days = days.mutate(nxt=days.day.lead().over(w))
    snaps = memtable(pd.DataFrame({"snapshot": pd.to_datetime(list(snapshots)).date}))
    # each snapshot falls in exactly one interval [day, next day) of a customer who shopped before
    pairs = days.join(snaps, (days.day <= snaps.snapshot)
                      & (days.nxt.isnull() | (days.nxt > snaps.snapshot)))
    out = pairs.select(
        s.CUSTOMER_ID, "snapshot",
        recency_days=pairs.snapshot.delta(pairs.day, unit="day").cast("int64"),
        returned=ibis.coalesce(pairs.nxt.delta(pairs.snapshot, unit="day") <= horizon_days, False),
    )
    return _fetch(out, con=con, order_by=["snapshot", s.CUSTOMER_ID], dates=["snapshot"])


def period_bounds(*, as_of: str | pd.Timestamp, period: str = "Q", n_periods: int = 4) -> pd.DataFrame:
    """``n_periods`` consecutive periods ending at ``as_of``, oldest first.

    ``period`` is ``"Q"`` (3 calendar months back from ``as_of``), ``"M"`` (1 month) or
    ``"13W"``/``"4W"`` (91 or 28 days). Each period covers the days after ``start`` up to and
    including ``end``. Columns: ``period`` (0 = oldest), ``start`` (exclusive), ``end``, ``label``.
    """
    if period not in _PERIODS:
        raise ValueError(f"`period` must be one of {list(_PERIODS)}, not {period!r}")
    if n_periods < 2:
        raise ValueError(f"`n_periods` must be at least 2, not {n_periods}")
    end = pd.Timestamp(as_of).normalize()
    step = _PERIODS[period]
    ends = [end - step * k for k in range(n_periods + 1)][::-1]
    return pd.DataFrame({
        "period": range(n_periods), "start": ends[:-1], "end": ends[1:],
        "label": [f"{(a + pd.Timedelta(days=1)).date()}..{b.date()}" for a, b in zip(ends[:-1], ends[1:])],
    }).astype({"start": "datetime64[us]", "end": "datetime64[us]"})


def period_activity(tx: pd.DataFrame | str | Path | ibis.Table, *, bounds: pd.DataFrame,
                    con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Customer x period: ``orders`` (orders with positive net value) and ``spend`` (net).

    One row per customer and period in which the customer had any order; ``bounds`` comes from
    :func:`period_bounds`. A ``first_day`` column gives each customer's first order overall.
    No periods give an empty frame with these columns.
    """
    if bounds.empty:
        return pd.DataFrame({s.CUSTOMER_ID: pd.Series(dtype=object), "period": pd.Series(dtype="int64"),
                             "orders": pd.Series(dtype="int64"), "spend": pd.Series(dtype="float64"),
                             "first_day": pd.Series(dtype="datetime64[us]")})
    o = orders(tx, as_of=bounds["end"].max())
    b = memtable(bounds[["period", "start", "end"]].assign(
        start=bounds["start"].dt.date, end=bounds["end"].dt.date))
    first = o.group_by(s.CUSTOMER_ID).aggregate(first_day=o.day.min())
    j = o.join(b, (o.day > b.start) & (o.day <= b.end))
    agg = j.group_by([s.CUSTOMER_ID, "period"]).aggregate(
        orders=(j.cents > 0).cast("int64").sum(), cents=j.cents.sum())
    out = agg.join(first, s.CUSTOMER_ID).select(
        s.CUSTOMER_ID, "period", orders=agg.orders.cast("int64"),
        spend=agg.cents.cast("float64") / 100.0, first_day=first.first_day)
    return _fetch(out, con=con, order_by=[s.CUSTOMER_ID, "period"], dates=["first_day"])


def monthly_activity(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
                     con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Distinct (customer_id, month) pairs with a positive-value order, month as its first day."""
    o = orders(tx, as_of=as_of)
    o = o.filter(o.cents > 0)
    out = _unique(o.select(s.CUSTOMER_ID, month=o.day.truncate("M").cast("date")))
    return _fetch(out, con=con, order_by=[s.CUSTOMER_ID, "month"], dates=["month"])


def order_days(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
               con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Distinct (customer_id, day) pairs with an order of positive net value up to ``as_of``."""
    o = orders(tx, as_of=as_of)
    out = _unique(o.filter(o.cents > 0).select(s.CUSTOMER_ID, "day"))
    return _fetch(out, con=con, order_by=[s.CUSTOMER_ID, "day"], dates=["day"])


def order_days_table(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp) -> ibis.Table:
    """The rows of :func:`order_days` as an ibis expression, left in the engine."""
    o = orders(tx, as_of=as_of)
    return _unique(o.filter(o.cents > 0).select(s.CUSTOMER_ID, "day"))


def window_orders(days: pd.DataFrame | ibis.Table, *, windows: pd.DataFrame, after_days: int,
                  con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Whether each row of ``windows`` (``customer_id``, ``start``, ``end``) has a shopping day
    of :func:`order_days` (a frame, or :func:`order_days_table` in the engine) ``during`` the
    window (``start`` <= day <= ``end``) and ``after`` it (``end`` < day <= ``end`` +
    ``after_days`` days). One row per window row, in its order."""
    if windows.empty:
        return pd.DataFrame({"during": pd.Series(dtype=bool), "after": pd.Series(dtype=bool)})
    if isinstance(days, pd.DataFrame):
        days = memtable(days[[s.CUSTOMER_ID, "day"]].astype({s.CUSTOMER_ID: "str", "day": "datetime64[us]"}))
    d = days.select(days[s.CUSTOMER_ID].cast("string"), ts=days.day.cast("timestamp"))
    end = pd.to_datetime(windows["end"]).astype("datetime64[us]")
    r = memtable(pd.DataFrame({
        "_row": np.arange(len(windows), dtype="int64"),
        s.CUSTOMER_ID: windows[s.CUSTOMER_ID].astype(str).to_numpy(),
        "start": pd.to_datetime(windows["start"]).astype("datetime64[us]").to_numpy(),
        "end": end.to_numpy(), "last": (end + pd.Timedelta(days=after_days)).to_numpy()}))
    r = r.select(r._row.cast("int64"), r[s.CUSTOMER_ID].cast("string"), start=r.start.cast("timestamp"),
                 end=r.end.cast("timestamp"), last=r["last"].cast("timestamp"))
    j = r.join(d, [r[s.CUSTOMER_ID] == d[s.CUSTOMER_ID], d.ts >= r.start, d.ts <= r["last"]])
    out = j.group_by("_row").aggregate(during=(j.ts <= j.end).any(), after=(j.ts > j.end).any())
    got = (con or engine()).execute(out.order_by("_row"))
    flags = pd.DataFrame({"during": np.zeros(len(windows), dtype=bool), "after": np.zeros(len(windows), dtype=bool)})
    rows = got["_row"].to_numpy(dtype="int64")
    flags.loc[rows, "during"] = got["during"].to_numpy(dtype=bool)
    flags.loc[rows, "after"] = got["after"].to_numpy(dtype=bool)
    return flags


def category_spend(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
                   window_days: int = 365, con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Net spend per customer and category in the ``window_days`` ending at ``as_of``.

    Lines without a category count under ``(none)``. Needs the line-level ``category`` column.
    """
    t = lines(tx, as_of=as_of, window_days=window_days, con=con,
              columns=(s.CUSTOMER_ID, s.TS, s.AMOUNT, s.CATEGORY))
    if s.CATEGORY not in t.columns:
        raise ValueError("category spend needs a `category` column in transactions")
    t = t.mutate(_cat=ibis.coalesce(t[s.CATEGORY].cast("string"), "(none)"),
                 _cents=(t[s.AMOUNT] * 100).round().cast("int64"))
    out = t.group_by([s.CUSTOMER_ID, "_cat"]).aggregate(cents=t._cents.sum()).select(
        s.CUSTOMER_ID, category=ibis.deferred["_cat"], spend=ibis.deferred["cents"].cast("float64") / 100.0)
    frame = (con or engine()).execute(out.order_by([s.CUSTOMER_ID, "category"]))
    return frame.astype({s.CUSTOMER_ID: "str", "category": "str"}).reset_index(drop=True)


def weekly_activity(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
                    con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Customer x week (weeks start on Monday): ``orders`` (positive value) and net ``spend``.

    Sparse: only weeks with an order. Dense customer x week panels are built from it for the
    customers an analysis needs (see :mod:`userops.effects`); :func:`weekly_table` keeps the
    same rows in the engine instead of in pandas.
    """
    w = _weekly(tx, as_of=as_of)
    out = w.select(s.CUSTOMER_ID, "week", "orders", spend=w.cents.cast("float64") / 100.0)
    return _fetch(out, con=con, order_by=[s.CUSTOMER_ID, "week"], dates=["week"])


def weekly_table(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
                 con: ibis.BaseBackend | None = None) -> ibis.Table:
    """The rows of :func:`weekly_activity` kept in the engine (a temporary table, like
    :func:`collapse`): ``customer_id``, ``week`` (date of the Monday), ``orders`` (int64) and
    ``cents`` (net spend in integer cents). Step 5's designs and step 6's KPIs query it
    (:func:`week_windows`, :func:`week_rows`, :func:`window_spend`) and pull only customer-level
    sums into pandas."""
    return _keep(_weekly(tx, as_of=as_of), con=con or engine(), prefix="_weekly")


def as_weekly(weekly: pd.DataFrame | ibis.Table) -> ibis.Table:
    """Customer x week activity as an ibis Table with ``customer_id`` (string), ``week``
    (date), ``orders`` (int64) and ``cents`` (int64): the output of :func:`weekly_table` as it is,
    or a frame like :func:`weekly_activity`'s (``spend`` in currency units becomes cents)."""
    if isinstance(weekly, pd.DataFrame):
        cols = [c for c in (s.CUSTOMER_ID, "week", "orders", "spend", "cents") if c in weekly.columns]
        weekly = memtable(weekly[cols])
    if not isinstance(weekly, ibis.Table):
        raise TypeError(f"`weekly` must be a pandas DataFrame or an ibis Table, not {type(weekly).__name__}")
    cents = weekly.cents if "cents" in weekly.columns else (weekly.spend * 100).round()
    return weekly.select(customer_id=weekly[s.CUSTOMER_ID].cast("string"), week=weekly.week.cast("date"),
                         orders=weekly.orders.cast("int64"), cents=cents.cast("int64"))


def first_weeks(weekly: pd.DataFrame | ibis.Table, *, con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Each customer's first week with an order: ``customer_id``, ``first_week``."""
    w = as_weekly(weekly)
    out = w.group_by(s.CUSTOMER_ID).aggregate(first_week=w.week.min())
    return _fetch(out, con=con, order_by=[s.CUSTOMER_ID], dates=["first_week"])


def week_windows(weekly: pd.DataFrame | ibis.Table, *, windows: pd.DataFrame,
                 con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Customer x week activity summed over windows of weeks, per window and customer.

    ``windows`` has ``window`` (an int64 key), ``start`` and ``end`` (the first and the last
    week of the window, Mondays, inclusive; a window that ends before it starts is empty).
    Returns ``window``, ``customer_id``, ``orders`` (positive-value orders), ``spend`` (net,
    summed in cents) and ``last_order_week`` (the last week of the window with a
    positive-value order, NaT if none), only for customers with a week in the window.
    """
    weeks = [(int(r.window), wk) for r in windows.itertuples()
             for wk in pd.date_range(pd.Timestamp(r.start), pd.Timestamp(r.end), freq="7D")]
    grid = pd.DataFrame(weeks, columns=["window", "week"]).astype({"window": "int64", "week": "datetime64[us]"})
    w = as_weekly(weekly)
    g = memtable(grid)
    g = g.select(window=g.window.cast("int64"), week=g.week.cast("date"))
    j = w.join(g, "week")
    out = j.group_by(["window", s.CUSTOMER_ID]).aggregate(
        orders=j.orders.sum(), cents=j.cents.sum(), last_order_week=j.week.max(where=j.orders > 0))
    out = out.select("window", s.CUSTOMER_ID, orders=out.orders.cast("int64"),
                     spend=out.cents.cast("float64") / 100.0, last_order_week=out.last_order_week)
    return _fetch(out, con=con, order_by=["window", s.CUSTOMER_ID], dates=["last_order_week"])


def week_rows(weekly: pd.DataFrame | ibis.Table, *, customers: pd.Series, start: pd.Timestamp,
              end: pd.Timestamp, con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """The rows of :func:`weekly_activity` for ``customers`` in the weeks ``start`` to ``end``
    (inclusive): the sparse input of one dense customer x week panel."""
    w = as_weekly(weekly)
    ids = memtable(pd.DataFrame({s.CUSTOMER_ID: pd.Series(customers, dtype=object).astype(str).unique()}))
    ids = ids.select(ids[s.CUSTOMER_ID].cast("string"))
    w = w.filter((w.week >= ibis.literal(pd.Timestamp(start).date()))
                 & (w.week <= ibis.literal(pd.Timestamp(end).date()))).semi_join(ids, s.CUSTOMER_ID)
    out = w.select(s.CUSTOMER_ID, "week", "orders", spend=w.cents.cast("float64") / 100.0)
    return _fetch(out, con=con, order_by=[s.CUSTOMER_ID, "week"], dates=["week"])


def window_spend(weekly: pd.DataFrame | ibis.Table, *, windows: pd.DataFrame,
                 con: ibis.BaseBackend | None = None) -> np.ndarray:
    """Net spend of each row of ``windows`` (``customer_id``, ``start``, ``end``): that
    customer's weeks from the week starting ``start`` to the week starting on or before
    ``end``, summed in cents. One value per row, in the rows' order (0 where none)."""
    if windows.empty:
        return np.zeros(0)
    rows = pd.DataFrame({"_row": np.arange(len(windows), dtype="int64"),
                         s.CUSTOMER_ID: windows[s.CUSTOMER_ID].astype(str).to_numpy(),
                         "start": pd.to_datetime(windows["start"]).dt.normalize().astype("datetime64[us]").to_numpy(),
                         "end": pd.to_datetime(windows["end"]).dt.normalize().astype("datetime64[us]").to_numpy()})
    r = memtable(rows)
    r = r.select(r._row.cast("int64"), r[s.CUSTOMER_ID].cast("string"), start=r.start.cast("date"),
                 end=r.end.cast("date"))
    w = as_weekly(weekly)
    j = r.join(w, [r[s.CUSTOMER_ID] == w[s.CUSTOMER_ID], w.week >= r.start, w.week <= r.end])
    out = j.group_by("_row").aggregate(cents=j.cents.sum())
    got = (con or engine()).execute(out.order_by("_row"))
    spend = np.zeros(len(windows))
    spend[got["_row"].to_numpy(dtype="int64")] = got["cents"].to_numpy(dtype="int64") / 100.0
    return spend


def first_line(tx: pd.DataFrame | str | Path | ibis.Table, *, con: ibis.BaseBackend | None = None) -> pd.Timestamp:
    """The time of the earliest transaction line (NaT when there is none)."""
    t = as_table(tx, columns=(s.TS,))
    return pd.Timestamp((con or engine()).execute(t[s.TS].min()))


def preferences(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
                window_days: int = 365, con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Per customer, from the lines in the ``window_days`` ending at ``as_of`` (local time):

    promotion: ``discount_share`` (share of gross spend on discounted lines), ``discount_depth``
    (discount / gross over all lines), ``coupon_order_share`` (orders with a coupon); channel:
    ``stores``, ``main_store_share`` (share of orders at the most used store); time:
    ``weekend_share``, ``morning_share`` (before 12h), ``afternoon_share`` (12-17h),
    ``evening_share`` (17h on) of orders, ``median_gap_days`` between shopping days; plus
    ``orders`` and ``spend``. Missing optional columns give NaN features (and are named as such).
    Category shares come from :func:`category_spend`.
    """
    t = lines(tx, as_of=as_of, window_days=window_days, con=con,
              columns=(s.CUSTOMER_ID, s.ORDER_ID, s.TS, s.AMOUNT, s.STORE_ID, s.DISCOUNT, s.COUPON_DISCOUNT))
    disc = t[s.DISCOUNT].cast("float64") if s.DISCOUNT in t.columns else ibis.literal(None, "float64")
    coup = t[s.COUPON_DISCOUNT].cast("float64") if s.COUPON_DISCOUNT in t.columns else ibis.literal(None, "float64")
    store = t[s.STORE_ID].cast("string") if s.STORE_ID in t.columns else ibis.literal(None, "string")
    # money in integer cents: sums do not depend on the order the engine adds the lines in
    net = (t[s.AMOUNT] * 100).round().cast("int64")
    disc_c = (disc * 100).round().cast("int64")
    ln = t.mutate(_d=disc_c, _discounted=disc > 0, _c=coup, _store=store, _net=net,
                  _gross=net + ibis.coalesce(disc_c, 0))
    o = ln.group_by([s.CUSTOMER_ID, s.ORDER_ID]).aggregate(
        ts=ln[s.TS].min(), net=ln._net.sum(), gross=ln._gross.sum(),
        disc_gross=ln._gross.sum(where=ln._discounted), disc=ln._d.sum(),
        coupon=(ln._c > 0).any(), store=ln._store.min())
    hour = o.ts.hour()
    dow = o.ts.day_of_week.index()  # Monday = 0
    per = o.group_by(s.CUSTOMER_ID).aggregate(
        orders=o.count(), spend=o.net.sum(), gross=o.gross.sum(),
        disc_gross=ibis.coalesce(o.disc_gross.sum(), 0), disc=o.disc.sum(),
        coupon_orders=o.coupon.cast("int64").sum(),
        weekend=(dow >= 5).cast("int64").sum(), morning=(hour < 12).cast("int64").sum(),
        afternoon=((hour >= 12) & (hour < 17)).cast("int64").sum(),
        evening=(hour >= 17).cast("int64").sum(), stores=o.store.nunique())
    by_store = o.group_by([s.CUSTOMER_ID, "store"]).aggregate(n=o.count())
    main = by_store.group_by(s.CUSTOMER_ID).aggregate(main_n=by_store.n.max())
    days = _unique(o.select(s.CUSTOMER_ID, day=o.ts.date()))
    w = ibis.window(group_by=days[s.CUSTOMER_ID], order_by=days.day)
    days = days.mutate(gap=days.day.delta(days.day.lag().over(w), unit="day"))
    gaps = days.group_by(s.CUSTOMER_ID).aggregate(median_gap=days.gap.median())
    out = per.left_join(main, s.CUSTOMER_ID).left_join(gaps, s.CUSTOMER_ID).select(
        s.CUSTOMER_ID, orders=per.orders.cast("int64"), spend=per.spend.cast("float64") / 100.0,
        discount_share=per.disc_gross.cast("float64") / per.gross.cast("float64").nullif(0),
        discount_depth=per.disc.cast("float64") / per.gross.cast("float64").nullif(0),
        coupon_order_share=per.coupon_orders / per.orders,
        stores=per.stores.cast("int64"), main_store_share=ibis.deferred["main_n"] / per.orders,
        weekend_share=per.weekend / per.orders, morning_share=per.morning / per.orders,
        afternoon_share=per.afternoon / per.orders, evening_share=per.evening / per.orders,
        median_gap_days=ibis.deferred["median_gap"].cast("float64"))
    frame = (con or engine()).execute(out.order_by(s.CUSTOMER_ID))
    frame = frame.astype({s.CUSTOMER_ID: "str"}).reset_index(drop=True)
    if s.STORE_ID not in t.columns:
        frame[["stores", "main_store_share"]] = np.nan
    return frame


# -- private helpers ------------------------------------------------------------------------

def _weekly(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp) -> ibis.Table:
    o = orders(tx, as_of=as_of)
    o = o.mutate(week=o.day.truncate("W"))
    out = o.group_by([s.CUSTOMER_ID, "week"]).aggregate(
        orders=(o.cents > 0).cast("int64").sum(), cents=o.cents.sum())
    return out.select(s.CUSTOMER_ID, week=out.week.cast("date"), orders=out.orders.cast("int64"),
                      cents=out.cents.cast("int64"))


def _keep(expr: ibis.Table, *, con: ibis.BaseBackend, prefix: str) -> ibis.Table:
    """``expr`` computed once and kept in the engine: a temporary table in DuckDB; a cached
    view elsewhere (Spark has no temporary tables; ibis's cache persists the result in memory,
    computed when first queried, and drops it when the returned table is garbage collected)."""
    if con.name == "duckdb":
        return con.create_table(f"{prefix}_{next(_COUNTER)}", expr, temp=True)
    con._run_pre_execute_hooks(expr)  # registers the in-memory tables expr reads
    return con._cached_table(expr)


def _unique(t: ibis.Table) -> ibis.Table:
    """The distinct rows of ``t``, as a group-by on every column. Not ``distinct()``: Spark 4.0
    returned duplicates for a DISTINCT under an ORDER BY when the rows were filtered on a column
    they do not keep (its optimizer added that column to the keys; tests/test_engines.py)."""
    return t.group_by(list(t.columns)).aggregate()


def _is_orders(t: ibis.Table) -> bool:
    return {"day", "cents"} <= set(t.columns) and s.TS not in t.columns


def _recent_gaps(o: ibis.Table, *, recent_days: int) -> ibis.Table:
    days = _unique(o.select(s.CUSTOMER_ID, "day", "age"))
    w = ibis.window(group_by=days[s.CUSTOMER_ID], order_by=days.day)
    days = days.mutate(prev=days.day.lag().over(w))
    gap = days.day.delta(days.prev, unit="day")
    days = days.mutate(gap=gap)
    recent = days.filter((days.age < recent_days) & days.prev.notnull())
    return recent.group_by(s.CUSTOMER_ID).aggregate(max_gap=recent.gap.max())


def _fetch(expr: ibis.Table, *, con: ibis.BaseBackend | None, order_by: list[str],
           dates: list[str]) -> pd.DataFrame:
    frame = (con or engine()).execute(expr.order_by(order_by))
    frame = frame.astype({s.CUSTOMER_ID: "str"})
    for col in dates:
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    return frame.reset_index(drop=True)


def purchase_days(tx: pd.DataFrame | str | Path | ibis.Table, *, as_of: str | pd.Timestamp,
                  con: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """Customer x shopping day with a positive net value up to ``as_of``: ``customer_id``,
    ``day`` and ``cents`` (the day's net value over all its orders, returns netted, int64).

    A day whose orders net to zero or less (a return, a refunded or zero-value order) is not a
    purchase and is left out. The input of the forward-value model (:mod:`userops.clv`).
    """
    o = orders(tx, as_of=as_of)
    d = o.group_by([s.CUSTOMER_ID, "day"]).aggregate(cents=o.cents.sum().cast("int64"))
    out = d.filter(d.cents > 0)
    frame = _fetch(out, con=con, order_by=[s.CUSTOMER_ID, "day"], dates=["day"])
    return frame.astype({"cents": "int64"})
