"""What a small fit imports: torch and what the fit needs, nothing else. Each check runs in a fresh
interpreter, so that no other test's imports hide a heavy one; a guard that cannot drift."""

from __future__ import annotations

import json
import subprocess
import sys

# heavy modules a 5-row fit of a built-in table never needs (its summary's t and F tails are
# slopefit.solve.distributions, not scipy's: scipy's array-API layer alone costs 0.3 s or more)
NEVER = ("torch._dynamo", "pandas", "pyarrow", "matplotlib", "formulaic", "sklearn", "sympy", "seaborn", "scipy")

SCRIPT = """
import contextlib, io, json, sys
{body}
print(json.dumps(sorted(m for m in {never!r} if m in sys.modules)))
"""


def imported_after(body: str) -> list[str]:
    code = SCRIPT.format(body=body, never=NEVER)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_cli_fit_path_imports_no_heavy_module():
    runs = [["fit", "height-weight", "--optimizer", name, *([] if name in ("sgd", "lbfgs") else ["--lr", "0.1"])]
            for name in ("sgd", "adam", "rmsprop", "adagrad", "adamw", "lbfgs")]  # every optimizer steps
    body = (f"from slopefit.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert all(main(args) == 0 for args in {runs!r})")
    assert imported_after(body) == []


def test_the_python_fit_imports_no_heavy_module():
    body = "import slopefit as sf\nr = sf.fit(sf.load_dataset('hours-ability'))\nassert r.converged"
    assert imported_after(body) == []


def test_a_file_fit_imports_pyarrow_but_not_pandas(tmp_path):
    """A table of numbers is read by pyarrow and its columns taken as buffers (slopefit.data.arrays):
    pandas (0.3-0.4 s) is not imported by a Parquet or CSV fit, whole or streamed, nor by torchrun's
    shares; pyarrow.dataset (which imports pandas) neither."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 2))
    y = X @ [1.0, -2.0] + 0.5 + rng.normal(size=500)
    y[7] = np.nan  # an empty cell, dropped with --missing drop
    table = pa.table({"a": X[:, 0].astype(np.float32), "b": pa.array(rng.integers(0, 9, 500)), "y": y})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=200)
    with open(tmp_path / "t.csv", "w", encoding="utf-8") as f:
        f.write("a,b,y\n" + "".join(f"{a},{b},{'' if np.isnan(v) else v}\n"
                                    for a, b, v in zip(X[:, 0], table["b"].to_pylist(), y, strict=True)))
    runs = [["fit", str(tmp_path / name), "--y", "y", "--missing", "drop", *more]
            for name in ("t.parquet", "t.csv") for more in ([], ["--stream"])]
    body = (f"from slopefit.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert all(main(args) == 0 for args in {runs!r})")
    assert [m for m in imported_after(body) if m not in ("pyarrow",)] == []
