"""The shape battery prints its table at the end of a session that ran it."""
from __future__ import annotations

import battery


def pytest_terminal_summary(terminalreporter):
    if battery.RESULTS:
        results = [battery.RESULTS[k] for k in sorted(battery.RESULTS, key=list(battery.RESULTS).index)]
        terminalreporter.section("shape battery")
        terminalreporter.write_line(battery.table(results))
        terminalreporter.write_line(battery.details(results))
