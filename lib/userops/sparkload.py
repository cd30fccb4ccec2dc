"""Transaction lines validated on Spark: the rules of :mod:`userops.outofcore`, in Spark SQL.

With the Spark engine (``--engine spark``, ``USEROPS_ENGINE=spark`` or a ``SparkSession`` given
to :func:`userops.features.use`), :func:`userops.datasets.prepare` validates the user's
transactions file here: Spark reads the CSV or Parquet file, the rows written plainly are
parsed and checked in Spark SQL (the conditions :mod:`userops.outofcore` plans for DuckDB, in
Spark's spelling), the odd rows go through the pandas parsers of :mod:`userops.validation` on
Spark's Python workers (``mapInPandas``), duplicate lines are found from one shuffle of 64-bit
row hashes (the rows sharing one compared exactly, in a window), and Spark writes the kept lines
(``lines/``), the rows set aside (``rejects.parquet``) and the rows whose time was adjusted
(``adjusted.parquet``). The reasons, kept lines and counts are those of the DuckDB path
(``tests/test_sparkload.py``). The log gives the seconds of each phase.

What Spark does not validate is validated by DuckDB, and the log says why: the embedded and
synthetic data (frames, not files, never sent here), encodings other than UTF-8, column types the
plan does not cover, and files Spark cannot read whole (a quoted value across lines: Spark reads
a CSV file line by line).
"""
from __future__ import annotations

import re
import shutil
import time
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from userops import outofcore as oc
from userops import schema as s
from userops import validation as v

__all__ = ["clean_lines", "spark_type"]

_SPARK_TYPES = {"LongType": "BIGINT", "IntegerType": "INTEGER", "ShortType": "SMALLINT",
                "ByteType": "TINYINT", "DoubleType": "DOUBLE", "FloatType": "FLOAT",
                "StringType": "VARCHAR", "TimestampNTZType": "TIMESTAMP", "DateType": "DATE",
                "TimestampType": "TIMESTAMP_LTZ", "BooleanType": "BOOLEAN"}
_FEW_HASHES = 200_000  # repeated row hashes collected and broadcast, not joined by a shuffle
_SPEC_KINDS = s.TABLES["transactions"].kinds
_CONF = {"spark.sql.ansi.enabled": "true", "spark.sql.ansi.doubleQuotedIdentifiers": "true"}
_OUT = {"BIGINT": "bigint", "VARCHAR": "string", "DOUBLE": "double", "TIMESTAMP": "timestamp_ntz"}


def spark_type(data_type: object) -> str:
    """The DuckDB name of a Spark column type, as :mod:`userops.outofcore` plans by it."""
    return _SPARK_TYPES.get(type(data_type).__name__, type(data_type).__name__)


def clean_lines(session, source: Path, out: Path, *, data_tz: str, source_tz: str | None = None,
                decimal: str = ".", keep_duplicate_lines: bool = False, encoding: str = "utf-8",
                log=None) -> oc.Lines:
    """Validate the transactions file ``source`` on the Spark session ``session`` into ``out``
    (``lines/``, ``rejects.parquet``, ``adjusted.parquet``), as
    :func:`userops.outofcore.clean_lines` does with DuckDB; the shapes Spark does not cover are
    validated by DuckDB, and ``log`` says why."""
    log = log or (lambda *_: None)
    source_tz = source_tz or data_tz
    kw = dict(data_tz=data_tz, source_tz=source_tz, decimal=decimal,
              keep_duplicate_lines=keep_duplicate_lines, encoding=encoding, log=log)
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".spark-work"
    cleaner = _SparkCleaner(session, Path(source), out=out, work=work, **kw)
    try:
        return cleaner.run()
    except Exception as err:
        if isinstance(err, oc._Unsupported):
            why = str(err)
        elif _spark_error(err):  # e.g. a quoted field across lines, which Spark reads line by line
            why = f"Spark cannot read it ({_first_line(err)})"
        else:
            raise
        log(f"[data] transactions: validated with DuckDB, not Spark: {why}")
        shutil.rmtree(out / "lines", ignore_errors=True)
        return oc.clean_lines(Path(source), out, **kw)
    finally:
        cleaner.close()
        shutil.rmtree(work, ignore_errors=True)


class _SparkCleaner(oc._Cleaner):
    _TS = "TIMESTAMP_NTZ"

    def __init__(self, session, source: Path, **kw):
        super().__init__(None, source, **kw)
        self.spark = session
        self.view = f"userops_raw_{uuid.uuid4().hex[:12]}"
        self._escaped = session.conf.get("spark.sql.parser.escapedStringLiterals", "false").lower() == "true"
        # settings for the load, put back as they were by close(): the plan's SQL quotes names
        # in double quotes, as DuckDB and ANSI SQL do, which Spark reads so with _CONF; the
        # shuffle of every row's hash (duplicates) is faster in more, smaller parts than a small
        # local session's few (8 rather than 4 here: 9.8 s rather than 11.8 s at 14.7M rows)
        parts = max(int(session.conf.get("spark.sql.shuffle.partitions", "200")),
                    4 * session.sparkContext.defaultParallelism)
        conf = _CONF | {"spark.sql.shuffle.partitions": str(parts)}
        self._conf = {k: session.conf.get(k, None) for k in conf}
        for k, value in conf.items():
            session.conf.set(k, value)

    def close(self) -> None:
        self.spark.catalog.dropTempView(self.view)
        for k, value in self._conf.items():
            if value is None:
                self.spark.conf.unset(k)
            else:
                self.spark.conf.set(k, value)

    # the engine's spelling ---------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace(" FROM raw", f" FROM {self.view}")

    def _rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(self._sql(sql)).collect()]

    def _match(self, x: str, pattern: str) -> str:
        text = pattern if self._escaped else pattern.replace("\\", "\\\\")
        return f"({x} RLIKE '^(?:{text})$')"

    def _odd_texts(self, c: str) -> str:
        # every value checked by the expression: no value of the data in the SQL text
        x = oc._q(c)
        values = [r for (r,) in self._rows(f"SELECT DISTINCT {x} FROM raw WHERE {x} IS NOT NULL "
                                           f"LIMIT {oc._FEW + 1}")]
        if len(values) <= oc._FEW and all(re.fullmatch(oc._TRIMMED, val) for val in values):
            return "false"
        return f"NOT {self._match(x, oc._TRIMMED)}"

    def _near_dst(self, c: str, local: str) -> str:
        """Local times near a change of the source zone's offset, as ranges between the column's
        smallest and largest time (Spark has no list of hours to look up)."""
        lo, hi = self._rows(f"SELECT min({local}), max({local}) FROM raw")[0]
        hours = oc._dst_hours_between(self.source_tz, lo, hi) if lo is not None else ()
        if not hours:
            return "false"
        return oc._in_ranges(local, hours, lambda ts: f"TIMESTAMP_NTZ '{ts}'")

    # reading ---------------------------------------------------------------------------------
    def _open_raw(self) -> None:
        from pyspark.sql import functions as F

        path = self.source
        if path.suffix == ".parquet":
            frame = self.spark.read.parquet(str(path.resolve()))
            names = list(frame.columns)
        else:
            from userops.datasets import _csv_header
            if not oc._utf8(self.encoding):
                raise oc._Unsupported(f"encoding {self.encoding}")
            try:
                names = _csv_header(path, encoding=self.encoding)
            except UnicodeDecodeError as err:
                raise oc._Unsupported(f"the header is not {self.encoding}") from err
            if len(set(names)) != len(names) or not names:
                raise oc._Unsupported("header")
            from pyspark.sql.types import StringType, StructField, StructType
            schema = StructType([StructField(f"c{i}", StringType()) for i in range(len(names))])
            frame = (self.spark.read.option("header", "true").option("quote", '"').option("escape", '"')
                     .option("multiLine", "false").option("mode", "FAILFAST")
                     .option("encoding", "UTF-8").schema(schema).csv(str(path.resolve())))
            frame = frame.select(*[F.expr(f"NULLIF(c{i}, '')") for i in range(len(names))])
        mapped = list(v.normalize_columns(pd.DataFrame(columns=names), table="transactions").columns)
        frame = frame.toDF(*mapped)
        self.names = mapped
        self.types = {f.name: spark_type(f.dataType) for f in frame.schema.fields}
        # the row's position in the file: partitions follow the file's order; within one, the
        # record number is the low 33 bits of monotonically_increasing_id
        frame = frame.withColumn("_pid", F.spark_partition_id()).withColumn("_mid", F.monotonically_increasing_id())
        counts = sorted((r["_pid"], r["count"]) for r in frame.groupBy("_pid").count().collect())
        offsets, total = {}, 0
        for pid, n in counts:
            offsets[pid], total = total, total + n
        start = F.lit(0)
        for pid, offset in offsets.items():
            start = F.when(F.col("_pid") == pid, F.lit(offset)).otherwise(start)
        frame = frame.withColumn("_row", (start + F.col("_mid") - F.shiftleft(F.col("_pid").cast("bigint"), 33))
                                 .cast("bigint")).drop("_pid", "_mid")
        frame.createOrReplaceTempView(self.view)
        self.input_rows = total

    def _plan_column(self, c: str, typ: str, kind: str) -> None:
        if not (kind == "time" and typ == "TIMESTAMP_LTZ"):
            return super()._plan_column(c, typ, kind)
        # a time typed with a zone (Spark's TIMESTAMP, an instant): its wall-clock time in the
        # data's zone, as DuckDB's timezone() gives for a TIMESTAMP WITH TIME ZONE
        zone = self.spark.conf.get("spark.sql.session.timeZone")
        if zone != "UTC":
            raise oc._Unsupported(f"{c}: times with a zone read in a session zone {zone}, not UTC")
        x = oc._q(c)
        utc = f"CAST({x} AS TIMESTAMP_NTZ)"  # the session's zone is UTC: the instant's UTC time
        lo, hi = (t.isoformat(sep=" ") for t in v.TIME_RANGE)
        self._record(c, problem=(f"{x} IS NULL", f"({utc} < TIMESTAMP_NTZ '{lo}' OR {utc} >= TIMESTAMP_NTZ '{hi}')"),
                     value=f"CAST(from_utc_timestamp({x}, '{oc._sql_text(self.data_tz)}') AS TIMESTAMP_NTZ)",
                     fast="true", out_type="TIMESTAMP")

    def _plan(self) -> None:
        if self.source_tz != self.data_tz and any(
                self.types.get(c) != "TIMESTAMP_LTZ" for c in self.names if _SPEC_KINDS.get(c) == "time"):
            raise oc._Unsupported(f"times without zone moved from {self.source_tz} to {self.data_tz}")
        super()._plan()
        # ANSI SQL (on by default in Spark 4) fails a query on a bad cast; the plan casts only
        # values it checked, but the engine may cast before it filters
        self.value = {c: val.replace("CAST(", "TRY_CAST(").replace("TRY_TRY_CAST(", "TRY_CAST(")
                      for c, val in self.value.items()}

    # the whole table -------------------------------------------------------------------------
    def run(self) -> oc.Lines:
        from pyspark.sql import functions as F

        self.pandas_frame = None
        t0, said = time.perf_counter(), {}
        try:
            self._open_raw()
        except Exception as err:  # a file Spark cannot read as the loader does
            if isinstance(err, oc._Unsupported):
                raise
            raise oc._Unsupported(f"Spark cannot read it ({_first_line(err)})") from err
        self._check_columns()
        said["read"] = time.perf_counter() - t0
        self._plan()
        said["plan"] = time.perf_counter() - t0 - sum(said.values())
        spark, names = self.spark, [*self.cols, *self.extra]
        cols = ", ".join(f"`{c}`" for c in names)
        fast = self._sql(self._fast_select())
        odd = spark.sql(self._sql(f"SELECT {cols}, _row FROM raw WHERE NOT ({self._all_fast()})"))
        ids = [c for c in self.cols if self.kinds[c] == "id" and self.out_type[c] == "VARCHAR"]
        odd_schema = ", ".join([f"`_row` bigint", *(f"`{c}` {_OUT[self.out_type[c]]}" for c in names),
                                "reason string", "_dst_ambiguous boolean", "_dst_gap boolean",
                                *(f"`_w_{c}` string" for c in ids)])
        parse = _OddParser(cols=self.cols, extra=self.extra, kinds=self.kinds, out_type=self.out_type,
                           data_tz=self.data_tz, source_tz=self.source_tz, decimal=self.decimal,
                           names=names, ids=ids)
        odd_parsed = odd.mapInPandas(parse, odd_schema).cache()
        n_odd = odd_parsed.count()
        self._fast_rows = spark.sql(fast)
        parsed = self._fast_rows.select("_row", *names, "reason").unionByName(
            odd_parsed.select("_row", *names, "reason"))
        label = "duplicate line" if s.PRODUCT_ID in names else "duplicate order line"
        said["odd rows"] = time.perf_counter() - t0 - sum(said.values())
        dups = self._duplicates_spark(parsed, names).persist()
        dups.count()
        said["duplicates"] = time.perf_counter() - t0 - sum(said.values())
        marked = parsed.join(dups.withColumn("_dup", F.lit(True)), "_row", "left").fillna(False, subset=["_dup"])
        try:
            kept = marked.where(F.col("reason").isNull() & ~F.col("_dup")).select(*names, "_row")
            # no global sort: the lines keep the file's order within each part, Spark's reading order
            kept.write.mode("overwrite").option("compression", "zstd").parquet(str(self.out / "lines"))
            said["kept lines written"] = time.perf_counter() - t0 - sum(said.values())
            rejects = marked.where(F.col("reason").isNotNull() | F.col("_dup")).select(
                "_row", F.when(F.col("_dup"), F.lit(label)).otherwise(F.col("reason")).alias("reason"),
                F.col(s.AMOUNT).cast("double").alias("amount_parsed"))
            _single(rejects.orderBy("_row"), self.out / "rejects.parquet", self.work,
                    pa.schema([("_row", pa.int64()), ("reason", pa.string()), ("amount_parsed", pa.float64())]))
            said["rows set aside written"] = time.perf_counter() - t0 - sum(said.values())
            adjusted = (odd_parsed.where("(_dst_ambiguous OR _dst_gap) AND reason IS NULL")
                        .join(dups, "_row", "left_anti")
                        .select("_row", F.col(s.TS).alias("ts"), F.col("_dst_ambiguous").alias("dst_ambiguous"),
                                F.col("_dst_gap").alias("dst_gap")))
            _single(adjusted.orderBy("_row"), self.out / "adjusted.parquet", self.work,
                    pa.schema([("_row", pa.int64()), ("ts", pa.timestamp("us")), ("dst_ambiguous", pa.bool_()),
                               ("dst_gap", pa.bool_())]))
            firsts = [r["_row"] for r in spark.read.parquet(str(self.out / "rejects.parquet")).selectExpr(
                "_row", "row_number() OVER (PARTITION BY reason ORDER BY _row) AS k").where(
                f"k <= {v._SAMPLE_ROWS}").orderBy("_row").collect()]
            self.spellings = {c: [odd_parsed.where(F.col(c).isNotNull() & F.col(f"_w_{c}").isNotNull())
                                  .select(F.col(c).alias("id"), F.col(f"_w_{c}").alias("written"))
                                  .distinct().toPandas()] for c in ids}
            merged = self._merged()
        finally:
            dups.unpersist()
            odd_parsed.unpersist()
        examples = self._source_examples(firsts)
        said["the rest"] = time.perf_counter() - t0 - sum(said.values())
        self.log("[data] transactions on Spark: " + ", ".join(f"{k} {v:.1f} s" for k, v in said.items()))
        return oc.Lines(lines_sql="SELECT * FROM read_parquet('{folder}/lines/*.parquet')",
                        rejects=self.out / "rejects.parquet", adjusted=self.out / "adjusted.parquet",
                        input_rows=int(self.input_rows), columns=list(self.names), examples=examples,
                        notes={"ids_merged": merged}, odd_rows=int(n_odd), engine="spark",
                        id_types={c: self.out_type[c] for c in self.cols if self.kinds[c] == "id"})

    def _duplicates_spark(self, parsed, names: list[str]):
        """The rows (``_row``) equal to an earlier row in every parsed column, themselves
        without a reason, as DuckDB finds them: candidates share a 64-bit hash of the row
        (only hashes cross the shuffle), and only they are compared exactly, in a window."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        if self.keep_duplicate_lines:
            return parsed.select("_row").limit(0)
        hashed = parsed.withColumn("_h", F.xxhash64(*[F.col(c) for c in names]))
        repeated = hashed.groupBy("_h").count().where("count > 1").select("_h")
        few = repeated.limit(_FEW_HASHES + 1).collect()  # the one shuffle of every row (its hash)
        if not few:
            return parsed.select("_row").limit(0)
        if len(few) <= _FEW_HASHES:  # the usual case: a small table sent to every task
            repeated = self.spark.createDataFrame([(r[0],) for r in few], "_h bigint")
            candidates = hashed.join(F.broadcast(repeated), "_h", "left_semi")
        else:
            candidates = hashed.join(repeated, "_h", "left_semi")
        w = Window.partitionBy(*[F.col(c) for c in names]).orderBy("_row")
        return (candidates.withColumn("_k", F.row_number().over(w))
                .where(F.col("reason").isNull() & (F.col("_k") > 1)).select("_row"))

    def _plain_spellings(self, c: str, touched: list[str]) -> set[str]:
        from pyspark.sql import functions as F
        rows = self._fast_rows.where(F.col(c).isin(touched)).select(c).distinct().collect()
        return {r[0] for r in rows}


class _OddParser:
    """The pandas parse of the odd rows, run by Spark's Python workers batch by batch; what
    :meth:`userops.outofcore._Cleaner._parse_chunk` does, plus each text id as written."""

    def __init__(self, **attrs):
        self.__dict__.update(attrs)

    def __call__(self, batches):
        for frame in batches:
            if frame.empty:
                continue
            self.spellings = {c: [] for c in self.ids}
            out = oc._Cleaner._parse_chunk(self, frame.reset_index(drop=True))
            for c in self.ids:
                out[f"_w_{c}"] = frame[c].astype("string").str.strip().to_numpy(dtype=object)
            out = out[["_row", *self.names, "reason", "_dst_ambiguous", "_dst_gap", *(f"_w_{c}" for c in self.ids)]]
            for c in self.names:
                if self.out_type[c] == "TIMESTAMP":
                    out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
                elif self.out_type[c] == "VARCHAR":
                    out[c] = out[c].astype(object).where(pd.notna(out[c]), None)
            yield out


def _spark_error(err: BaseException) -> bool:
    """Whether ``err`` is Spark's (a failed query or job), not the loader's own."""
    try:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException
    except ImportError:
        return False
    return isinstance(err, (PySparkException, Py4JJavaError))


def _first_line(err: BaseException) -> str:
    """The first line of a Spark error that says something (Py4J's starts with its call)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    said = [line for line in lines if not line.startswith("An error occurred while calling")]
    return (said or lines or [type(err).__name__])[0][:200]


def _single(frame, target: Path, work: Path, schema: pa.Schema) -> None:
    """``frame`` written by Spark as one Parquet file ``target`` (in the frame's order), with
    the column types of ``schema``."""
    folder = work / f"{target.stem}-{uuid.uuid4().hex[:8]}"
    frame.coalesce(1).write.mode("overwrite").parquet(str(folder))
    parts = sorted(folder.glob("*.parquet"))
    table = pa.concat_tables([pq.read_table(p) for p in parts]) if parts else schema.empty_table()
    pq.write_table(table.select(schema.names).cast(schema), target)
    shutil.rmtree(folder, ignore_errors=True)
