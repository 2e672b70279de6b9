"""How long an educator report takes as the release ledger grows: the synthetic debriefs'
themes replayed over many weeks by 60 clinicians, one report (two views) per week, each
settled against every cell earlier reports showed.

Run with `make bench` (or `python -m benchmarks.bench_educator --weeks 104`). Writes
benchmarks/results/educator.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from coach.educator.records import ThemeRecord, iso_week
from coach.educator.releases import Release
from coach.educator.report import Query, build_report, releases_of
from coach.educator.suppression import Cube
from coach.educator.synthetic import plan

ROOT = Path(__file__).resolve().parents[1]
K = 5


def records_over(weeks: list[str], per_week: int, seed: int = 3) -> list[ThemeRecord]:
    rng = random.Random(seed)
    planned = plan()
    clinicians = [f"{i:032x}" for i in range(60)]
    roles = {
        c: rng.choice(["nurse"] * 6 + ["doctor"] * 3 + ["midwife", "paramedic"]) for c in clinicians
    }
    out = []
    for week in weeks:
        for _ in range(rng.randint(per_week // 2, per_week * 3 // 2)):
            clinician = rng.choice(clinicians)
            record = rng.choice(planned).record(clinician)
            out.append(record.model_copy(update={"week": week, "role": roles[clinician]}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--per-week", type=int, default=8, help="debriefs a week, on average")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    start = date(2024, 1, 1)
    weeks = [iso_week(start + timedelta(weeks=i)) for i in range(args.weeks)]
    records = records_over(weeks, args.per_week)
    ledger: list[Release] = []
    seconds: list[float] = []
    for week in weeks:
        began = time.perf_counter()
        cube = Cube(records, K, cutoff=week, released=ledger)
        for query in (Query(), Query(by="week")):
            ledger += releases_of(build_report(cube, query), cube)
        seconds.append(time.perf_counter() - began)
    ledger = sorted(set(ledger))
    began = time.perf_counter()
    Cube(records, K, cutoff=weeks[-1], released=ledger)
    last = time.perf_counter() - began
    results = {
        "weeks": args.weeks,
        "records": len(records),
        "ledger_rows": len(ledger),
        "report_first_s": seconds[0],
        "report_median_s": statistics.median(seconds),
        "report_with_full_ledger_s": last,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "educator.json").write_text(json.dumps(results, indent=2))
    print(f"| measure | value |  ({args.weeks} weekly reports, k={K})")
    print("|---|---|")
    print(f"| theme records | {len(records)} |")
    print(f"| ledger rows at the end | {len(ledger)} |")
    print(f"| first report | {seconds[0]:.3f} s |")
    print(f"| median report | {statistics.median(seconds):.2f} s |")
    print(f"| report against the full ledger | {last:.2f} s |")


if __name__ == "__main__":
    main()
