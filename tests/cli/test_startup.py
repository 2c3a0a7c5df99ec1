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
