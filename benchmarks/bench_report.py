"""The whole report (``python -m userops report``) on one data folder: seconds and peak memory.

Runs the runner as a child process and samples, every ``--interval`` seconds, the resident
memory (RSS) of its process tree with psutil: the runner itself and every kernel papermill
starts (one per step). Prints, per stage (load + prepare, then each step), the seconds the
runner logged, the peak RSS of that step's kernel and the peak of the whole tree while the
stage ran; then the run's wall time, the runner's peak and the tree's peak.

Sampling misses peaks shorter than the interval; the runner's own peak is also read from
its ``VmHWM`` at exit when the platform has it.

Usage:
  python benchmarks/bench_report.py --data /work/main/benchmarks/_data/cj_10x --as-of 2017-12-31
  python benchmarks/bench_report.py --size 1          # The Complete Journey x1 (built if missing)
  python benchmarks/bench_report.py --data data/sample --as-of 2017-12-31 --json out.json
Extra arguments after ``--`` go to ``userops report`` (e.g. ``-- --set n_clusters=4``).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

import common

MIB = 1024 * 1024
_STEP = re.compile(r"^\[(\d+)/(\d+)\] (\S+) (ok|failed|skipped)(?: in ([\d.]+)s)?")
_DATA = re.compile(r"^\[data\] .*\(([\d.]+)s\)$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="data folder or source; default: the replicated folder of --size")
    parser.add_argument("--size", type=int, default=1, help="copies of The Complete Journey (with --data unset)")
    parser.add_argument("--as-of", default=common.AS_OF)
    parser.add_argument("--out", help="report folder (default: a new temporary folder)")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between RSS samples")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("extra", nargs="*", help="arguments passed on to `userops report`")
    args = parser.parse_args()
    data = args.data or str(common.replicated_folder(args.size))
    out = args.out or tempfile.mkdtemp(prefix="bench-report-")
    figures = run_report(data=data, as_of=args.as_of, out=out, interval=args.interval, extra=args.extra)
    print_figures(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


def run_report(*, data: str, as_of: str, out: str, interval: float, extra: list[str]) -> dict:
    """Run the report in a child process, sample its tree; the figures as a dict."""
    cmd = [sys.executable, "-m", "userops", "report", "--data", data, "--as-of", as_of, "--out", out, *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=os.environ | {"PYTHONUNBUFFERED": "1"})
    log: list[tuple[float, str]] = []
    reader = threading.Thread(target=_read, args=(proc, log, t0), daemon=True)
    reader.start()
    root = psutil.Process(proc.pid)
    kernels: dict[int, dict] = {}  # pid -> first seen, peak RSS, command
    tree_peak = runner_peak = 0
    timeline: list[tuple[float, int]] = []  # (seconds, tree RSS)
    runner_hwm = 0
    while proc.poll() is None:
        now = time.perf_counter() - t0
        try:
            runner_rss = root.memory_info().rss
            runner_hwm = max(runner_hwm, _hwm(root.pid))
            children = root.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        total = runner_rss
        for child in children:
            try:
                rss = child.memory_info().rss
                cmdline = " ".join(child.cmdline())
            except psutil.NoSuchProcess:
                continue
            total += rss
            k = kernels.setdefault(child.pid, {"first": now, "peak": 0, "cmd": cmdline})
            k["peak"] = max(k["peak"], rss)
        runner_peak = max(runner_peak, runner_rss)
        tree_peak = max(tree_peak, total)
        timeline.append((now, total))
        time.sleep(interval)
    proc.wait()
    reader.join()
    wall = time.perf_counter() - t0
    return _figures(log=log, kernels=kernels, timeline=timeline, wall=wall, code=proc.returncode,
                    tree_peak=tree_peak, runner_peak=max(runner_peak, runner_hwm), cmd=cmd)


def print_figures(f: dict) -> None:
    print()
    print(f"command: {' '.join(f['command'])}")
    print(f"{'stage':<28}{'status':>8}{'seconds':>10}{'kernel peak MiB':>18}{'tree peak MiB':>16}")
    for st in f["stages"]:
        kernel = f"{st['kernel_peak_mib']:,.0f}" if st["kernel_peak_mib"] is not None else "-"
        print(f"{st['stage']:<28}{st['status']:>8}{st['seconds']:>10.1f}{kernel:>18}"
              f"{st['tree_peak_mib']:>16,.0f}")
    print(f"wall time {f['wall_s']:.1f} s (exit code {f['exit_code']}); peak RSS: runner "
          f"{f['runner_peak_mib']:,.0f} MiB, largest kernel {f['kernel_peak_mib']:,.0f} MiB, "
          f"whole tree {f['tree_peak_mib']:,.0f} MiB")


def _read(proc: subprocess.Popen, log: list, t0: float) -> None:
    for line in proc.stdout:
        line = line.rstrip("\n")
        log.append((time.perf_counter() - t0, line))
        print(f"  {time.perf_counter() - t0:7.1f}s | {line}", flush=True)


def _hwm(pid: int) -> int:
    """The peak RSS the kernel recorded for ``pid`` (VmHWM), 0 where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _figures(*, log, kernels, timeline, wall, code, tree_peak, runner_peak, cmd) -> dict:
    marks = []  # (end time, stage, status, logged seconds)
    for t, line in log:
        if m := _DATA.match(line):
            marks.append((t, "load + prepare", "ok", float(m.group(1))))
        elif m := _STEP.match(line):
            marks.append((t, m.group(3), m.group(4), float(m.group(5) or 0.0)))
    stages, start = [], 0.0
    for end, name, status, seconds in marks:
        # a kernel belongs to the stage during which it was first seen
        peaks = [k["peak"] for k in kernels.values() if start <= k["first"] < end and "kernel" in k["cmd"]]
        tree = [rss for t, rss in timeline if start <= t <= end]
        stages.append({"stage": name, "status": status, "seconds": seconds,
                       "kernel_peak_mib": max(peaks) / MIB if peaks else None,
                       "tree_peak_mib": max(tree, default=0) / MIB})
        start = end
    kernel_peak = max((k["peak"] for k in kernels.values() if "kernel" in k["cmd"]), default=0)
    return {"command": cmd, "exit_code": code, "wall_s": wall, "stages": stages,
            "runner_peak_mib": runner_peak / MIB, "kernel_peak_mib": kernel_peak / MIB,
            "tree_peak_mib": tree_peak / MIB}


if __name__ == "__main__":
    main()
