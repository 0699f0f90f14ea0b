"""`make bench [AREA=x]`: run benchmarks and write build/bench/<area>.json.

Each area is a module `scripts/bench_<area>.py` with `run() -> list[dict]`; every result names
its value, unit and which direction is better, and where it is compared with a baseline, the
baseline is measured in the same run on the same machine (never a stored number).
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("amm", "cex", "router", "oms", "chain", "frost", "risk", "compliance", "treasury")
OUT_DIR = ROOT / "build" / "bench"


def machine() -> dict[str, Any]:
    """The machine the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def run_area(area: str) -> dict[str, Any] | None:
    """Run one area's benchmarks; None when the area has none yet."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        module = importlib.import_module(f"bench_{area}")
    except ModuleNotFoundError as missing:
        if missing.name != f"bench_{area}":
            raise
        return None
    results = module.run()
    for result in results:
        if result.get("baseline_value"):
            result["ratio"] = round(result["value"] / result["baseline_value"], 4)
    return {"area": area, "machine": machine(), "results": results}


def _print(report: dict[str, Any], console: Console) -> None:
    grid = Table(title=f"bench: {report['area']}", title_justify="left")
    for column in ("name", "value", "unit", "better", "baseline", "ratio", "target"):
        grid.add_column(column)
    for r in report["results"]:
        baseline = (f"{r['baseline_name']} = {r['baseline_value']:.6g}"
                    if r.get("baseline_name") else "-")
        grid.add_row(r["name"], f"{r['value']:.6g}", r["unit"], r["better"], baseline,
                     str(r.get("ratio", "-")), str(r.get("target", "-")))
    console.print(grid)


def main(argv: list[str]) -> int:
    areas = argv or list(AREAS)
    unknown = [a for a in areas if a not in AREAS]
    if unknown:
        print(f"unknown bench area {unknown[0]!r}; areas: {', '.join(AREAS)}", file=sys.stderr)
        return 2
    console = Console(width=140)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for area in areas:
        report = run_area(area)
        if report is None:
            console.print(f"bench: {area}: no benchmarks in this area yet")
            continue
        (OUT_DIR / f"{area}.json").write_text(json.dumps(report, indent=2))
        _print(report, console)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
