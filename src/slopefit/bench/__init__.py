"""``slopefit bench``: timing slopefit against scikit-learn and a plain torch loop on the same data.

A harness, not part of fitting: nothing in the core imports it. The records it writes are
what ``benchmarks/`` and the README's scale table are made of.
"""

from slopefit.bench.harness import METHODS, BenchRecord, bench_data, check_methods, run_bench

__all__ = ["METHODS", "BenchRecord", "bench_data", "check_methods", "run_bench"]
