"""Rewrites the FLOP counts and GEMM shares of a throughput table with benchmarks/flops.py's count.

The tables of `docs/performance.md` were measured with FLOPs from TensorFlow's profiler, which
counts gradients the runtime prunes (and so overstated every share). This keeps each row's
measured steps/s and GEMM rate, puts in the FLOPs/step of `benchmarks/flops.py --json` for
the row's config, and recomputes `share = FLOPs/step × steps/s / GEMM rate` for the fp32 and
best columns; a row above the measured GEMM rate of its dtype is refused as
`throughput.check_below_peak` refuses it. Prints each row's old and new figures.

    python benchmarks/flops.py --configs ... --json counts.json
    python benchmarks/recount_shares.py counts.json [--doc docs/performance.md]
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from throughput import REPO, check_below_peak  # noqa: E402

SHARE_COLUMNS = {"fp32 share of GEMM": "fp32", "best share of GEMM": None}


def cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def recount(lines, counts, bf16_gemm):
    """The lines with every table row of a config in `counts` recounted; prints the changes."""
    header = None
    out = []
    for line in lines:
        if not line.startswith("|"):
            header = None
            out.append(line)
            continue
        row = cells(line)
        if header is None:
            header = row
            out.append(line)
            continue
        if set(line) <= set("|-\n") or "GFLOP/step" not in header or row[0] not in counts:
            out.append(line)
            continue
        column = {name: i for i, name in enumerate(header)}
        gflop = counts[row[0]]["train_step"] / 1e9
        gemm = float(row[column["GEMM GFLOP/s"]])
        rates = {name: float(row[i]) for name, i in column.items()
                 if name in ("plain", "hand", "fp32", "xla", "spe8", "bf16", "bf16+xla")
                 and row[i] != "—"}
        check_below_peak(row[0], gflop, rates, gemm, bf16_gemm)
        old = {name: row[column[name]] for name in ("GFLOP/step", *SHARE_COLUMNS)}
        row[column["GFLOP/step"]] = f"{gflop:.3g}"
        for name, variant in SHARE_COLUMNS.items():
            rate = rates[variant or row[column["best"]]]
            row[column[name]] = f"{100 * gflop * rate / gemm:.1f}%"
        print(f"{row[0]:36s} GFLOP/step {old['GFLOP/step']:>6s} -> {row[column['GFLOP/step']]:>6s}"
              + "".join(f"  {name} {old[name]:>6s} -> {row[column[name]]:>6s}"
                        for name in SHARE_COLUMNS))
        out.append("| " + " | ".join(row) + " |\n")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", help="JSON written by benchmarks/flops.py --json")
    parser.add_argument("--doc", default=os.path.join(REPO, "docs", "performance.md"))
    args = parser.parse_args(argv)
    with open(args.counts) as f:
        counts = json.load(f)
    with open(args.doc) as f:
        lines = f.readlines()
    rates = re.search(r"([\d.]+) GFLOP/s bf16", "".join(lines))
    if rates is None:
        parser.error(f"{args.doc} states no bf16 GEMM rate ('... GFLOP/s bf16')")
    new = recount(lines, counts, float(rates.group(1)))
    with open(args.doc, "w") as f:
        f.writelines(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
