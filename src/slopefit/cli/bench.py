"""``slopefit bench``: slopefit against scikit-learn and a plain torch loop, timed on the same data."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from slopefit.cli.arguments import UsageError, add_lang_option, positive_int
from slopefit.texts import text
from slopefit.views.tables import table

EXIT_OK = 0


def add_parsers(sub) -> None:
    p = sub.add_parser("bench", help="time slopefit against scikit-learn and a plain torch loop on the same data")
    p.add_argument("--n", type=positive_int, default=1_000_000, help="rows (default 1000000)")
    p.add_argument("--d", type=positive_int, default=16, help="features (default 16)")
    p.add_argument("--gap", type=float, default=1e-6, help="relative gap every method aims for (default 1e-6)")
    p.add_argument("--skip", action="append", metavar="METHOD", help="leave a method out (repeatable or a,b)")
    p.add_argument("--json", metavar="FILE", help="write the records as a JSON list")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="training precision")
    p.add_argument("--device", choices=("cpu", "cuda", "mps"), default="cpu", help="torch device (default cpu)")
    add_lang_option(p)
    p.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    from slopefit.bench.harness import check_methods, run_bench
    from slopefit.train.config import check_device

    check_device(args.device)
    if not (math.isfinite(args.gap) and args.gap > 0):
        raise UsageError(f"slopefit bench: --gap must be a relative gap > 0, got {args.gap:g}; e.g. --gap 1e-6")
    skip = [m.strip() for item in args.skip or () for m in item.split(",") if m.strip()]
    check_methods(skip)
    print(text("bench.title", args.lang, n=args.n, d=args.d, gap=f"{args.gap:g}", dtype=args.dtype,
               device=args.device), flush=True)

    def show(record) -> None:
        gap = "-" if record.rel_gap is None else f"{record.rel_gap:.2g}"
        epochs = record.epochs if record.epochs is not None else "-"
        print(f"  {record.method:<19} {record.seconds:9.3f} s   " + text("bench.record", args.lang, gap=f"{gap:<8}",
                                                                         epochs=epochs), flush=True)

    records = run_bench(args.n, args.d, skip=skip, gap=args.gap, dtype=args.dtype, device=args.device,
                        on_record=show)
    by_name = {r.method: r for r in records}
    floor = by_name.get("floor-gram")
    ours = by_name.get("slopefit-stats")
    rows = []
    for r in records:
        reached = "-" if r.rel_gap is None else text("bench.yes" if r.rel_gap <= args.gap else "bench.no", args.lang)
        rows.append((r.method, f"{r.seconds:.3f}", "-" if r.rel_gap is None else f"{r.rel_gap:.2g}", reached,
                     "-" if r.epochs is None else str(r.epochs),
                     f"{r.seconds / floor.seconds:.1f}" if floor else "-",
                     f"{r.seconds / ours.seconds:.1f}" if ours else "-"))
    print()
    print(table((text("bench.method", args.lang), text("compare.seconds", args.lang), text("compare.rel", args.lang),
                 f"<= {args.gap:g}", text("compare.epochs", args.lang), "x floor-gram", "x slopefit-stats"), rows))
    if args.json:
        from slopefit.atomic import atomic_path

        with atomic_path(args.json) as tmp:
            Path(tmp).write_text(json.dumps([r.to_dict() for r in records], indent=2) + "\n", encoding="utf-8")
        print("\n" + text("saved.records", args.lang, path=args.json))
    return EXIT_OK
