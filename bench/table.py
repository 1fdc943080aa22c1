"""Print Markdown tables from the JSON lines that ``bench/measure.py`` writes.

Each input line may carry a ``code`` label (``ceiling``, ``before``, ``after``) added
by the caller. Usage::

    uv run python bench/table.py results.jsonl
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson


def load(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_bytes().splitlines():
        if line.startswith(b"{"):
            rows.append(orjson.loads(line))
    return rows


def print_tables(rows: list[dict[str, Any]]) -> None:
    ceilings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    stages: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        if row.get("code") == "ceiling":
            ceilings[row["file"]].append(row)
        else:
            stages[(row["file"], row["figure"])][row.get("code", "after")] = row

    print("| file | ceiling | ceiling rec/CPU-s |")
    print("|---|---|---|")
    for file, found in ceilings.items():
        for row in found:
            print(f"| {file} | {row['figure']} | {row['per_cpu_second']:,} |")
    print()
    print(
        "| file | stage | records | before rec/CPU-s | after rec/CPU-s | after / before "
        "| after / fastest ceiling | max RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (file, figure), codes in stages.items():
        before = codes.get("before", {}).get("per_cpu_second")
        after_row = codes.get("after")
        if after_row is None:
            continue
        after = after_row.get("per_cpu_second")
        fastest = max((r["per_cpu_second"] for r in ceilings.get(file, [])), default=None)
        speedup = f"{after / before:.2f}×" if before and after else "–"
        share = f"{after / fastest:.1%}" if fastest and after else "–"
        print(
            f"| {file} | {figure} | {after_row['records']:,} | "
            f"{before if before is None else f'{before:,}'} | "
            f"{after if after is None else f'{after:,}'} | {speedup} | {share} | "
            f"{after_row['max_rss_mb']} |"
        )


if __name__ == "__main__":
    print_tables(load(Path(sys.argv[1])))
