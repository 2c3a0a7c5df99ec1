"""``slopefit fit`` under real torchrun: gloo on 127.0.0.1, 2-3 processes, uneven shares, a two-node
rendezvous, an error in one process, a worker killed and recovered, a run stopped by SIGTERM and resumed.

Every process is bounded in time (TIMEOUT); the answers are checked against numpy's lstsq and one
process reading everything."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slopefit.data.sources import load_dataset
from slopefit.train.checkpoint import read_checkpoint
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit
from tests.dist.test_shards import lstsq, table, write_parquet

TIMEOUT = 150  # seconds for one command: torch starts slowly on a busy 2-core machine
MINIBATCH = ["--batch-size", "100", "--lr", "0.01", "--epochs", "60", "--dtype", "float64", "--seed", "2"]
pytestmark = [pytest.mark.slow,  # torchrun: processes started, joined and killed
              pytest.mark.skipif(sys.platform == "win32", reason="torchrun with gloo on 127.0.0.1 and POSIX signals")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SRC = Path(__file__).resolve().parents[2] / "src"  # the processes import this tree's slopefit, wherever they start


def env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "SLOPEFIT_DIST_TIMEOUT": "60", "OMP_NUM_THREADS": "1", "PYTHONPATH": path}


def torchrun(nproc: int, *args: str, launcher: tuple[str, ...] = ()) -> list[str]:
    rendezvous = launcher or ("--master-addr", "127.0.0.1", "--master-port", str(free_port()))
    return [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc), *rendezvous,
            "-m", "slopefit", *map(str, args)]


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, timeout=TIMEOUT)


def own_lines(stderr: str) -> list[str]:
    """What slopefit itself wrote to stderr (torchrun's own log lines and failure report left out)."""
    return [line for line in stderr.splitlines() if line.startswith(("slopefit:", "slopefit fit:"))]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """u.parquet (row groups of 1500, 1400, 50, 50 rows: with 3 processes, process 1 reads none),
    u.csv (the same rows) and bad.parquet (an empty cell in the last row group)."""
    root = tmp_path_factory.mktemp("dist")
    X, y = table()
    write_parquet(root / "u.parquet", X, y, [1500, 1400, 50, 50])
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y}).to_csv(root / "u.csv", index=False)
    bad = X.copy()
    bad[2990, 1] = np.nan
    write_parquet(root / "bad.parquet", bad, y, [1500, 1400, 50, 50])
    np.save(root / "Xy.npy", np.column_stack([X, y]))
    return root


def one_process(root: Path, config: TrainConfig):
    """The same fit in this process, on every row: what torchrun must reproduce."""
    return fit(load_dataset(str(root / "u.parquet")), config)


def saved(path: Path) -> tuple[np.ndarray, float]:
    model = json.loads(path.read_text())
    return np.array(model["coef"]), float(model["intercept"])


def test_three_processes_with_uneven_shares_give_the_one_process_answer(data):
    proc = run(torchrun(3, "fit", "u.parquet", "--save", "m3.json"), data)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("slopefit fit: u.parquet (3000 rows") == 1  # process 0 alone prints
    assert "read in 3 shares by 3 processes" in proc.stdout and own_lines(proc.stderr) == []
    coef, intercept = saved(data / "m3.json")
    assert json.loads((data / "m3.json").read_text())["training"]["world_size"] == 3
    one = one_process(data, TrainConfig())
    assert np.allclose(coef, one.coef, rtol=1e-12, atol=0) and intercept == pytest.approx(one.intercept, rel=1e-12)
    Xy = np.load(data / "Xy.npy")
    want = lstsq(Xy[:, :2], Xy[:, 2])
    assert np.allclose(coef, want[:2], rtol=1e-8, atol=0) and intercept == pytest.approx(want[2], rel=1e-8)


@pytest.fixture(scope="module")
def minibatch_two(data) -> Path:
    """Two processes, minibatches, never stopped: the answer the recovered run must equal bit for bit."""
    proc = run(torchrun(2, "fit", "u.parquet", *MINIBATCH, "--save", "mb2.json"), data)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return data / "mb2.json"


def test_minibatches_split_over_processes_follow_the_one_process_sequence(data, minibatch_two):
    coef, intercept = saved(minibatch_two)
    one = one_process(data, TrainConfig(lr=0.01, batch_size=100, epochs=60, dtype="float64", seed=2))
    assert np.allclose(coef, one.coef, rtol=1e-10, atol=0) and intercept == pytest.approx(one.intercept, rel=1e-10)


def test_block_minibatches_add_up_many_steps_at_once_and_follow_one_process_stepping_each_batch(data, monkeypatch):
    args = [*MINIBATCH[:5], "20", *MINIBATCH[6:], "--shuffle", "blocks"]  # 20 epochs of batch 100, blocks of 25 rows
    runs = {}
    for nproc in (1, 2):
        proc = run(torchrun(nproc, "fit", "u.parquet", *args, "--save", f"blocks{nproc}.json"), data)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert ("minibatches shuffled by blocks of 25 rows: one all-reduce adds up the Gram matrices of up to 256 "
                "batches") in proc.stdout
        runs[nproc] = saved(data / f"blocks{nproc}.json")
    # the same batches and steps; a block split between the two shares has its Gram matrix summed in two
    # parts (float64 sums in another order: ~1e-16 relative), carried by 600 contractive steps: 1e-10 holds
    (coef1, b1), (coef2, b2) = runs[1], runs[2]
    np.testing.assert_allclose(coef2, coef1, rtol=1e-10)
    assert b2 == pytest.approx(b1, rel=1e-10)
    from slopefit.train import engines

    monkeypatch.setattr(engines, "gram_fits", lambda *a: False)  # one process stepping each batch on its rows
    each = one_process(data, TrainConfig(lr=0.01, batch_size=100, epochs=20, dtype="float64", seed=2,
                                         shuffle="blocks"))
    # A^T(A theta~) against X^T(Xw + b - y): rounding apart (~1e-15 relative on these rows), not growing
    np.testing.assert_allclose(coef2, each.coef, rtol=1e-10)
    assert b2 == pytest.approx(each.intercept, rel=1e-10)
    Xy = np.load(data / "Xy.npy")  # and near least squares: 20 passes of sgd at lr 0.01 rest close to it
    np.testing.assert_allclose(coef2, lstsq(Xy[:, :2], Xy[:, 2])[:2], rtol=1e-2)


def test_csv_byte_ranges_in_two_processes(data):
    proc = run(torchrun(2, "fit", "u.csv", "--batch-size", "100", "--lr", "0.01", "--epochs", "5",
                        "--dtype", "float64", "--save", "csv2.json"), data)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "process 0 read u.csv (lines starting in bytes 0-" in proc.stdout
    coef, intercept = saved(data / "csv2.json")
    one = one_process(data, TrainConfig(lr=0.01, batch_size=100, epochs=5, dtype="float64"))
    assert np.allclose(coef, one.coef, rtol=1e-10, atol=0) and intercept == pytest.approx(one.intercept, rel=1e-10)


def test_an_error_in_one_process_ends_every_process_with_one_line(data):
    # every process ends: run() raises TimeoutExpired otherwise (a bound on a hang, not a timing to assert)
    proc = run(torchrun(3, "fit", "bad.parquet", "--save", "never.json"), data)
    assert proc.returncode != 0
    assert proc.stdout == "" and not (data / "never.json").exists()
    lines = own_lines(proc.stderr)
    assert len(lines) == 1, proc.stderr[-3000:]
    assert "bad.parquet (row groups 2-4 of 4: its rows 1501-3000, numbered from 1 here)" in lines[0]
    assert re.search(r"'b'.*\brow 1491\b", lines[0]) and "[rank" not in proc.stderr  # no traceback from any process


def test_two_nodes_meet_at_one_rendezvous(data):
    endpoint = f"127.0.0.1:{free_port()}"
    launcher = ("--nnodes", "2", "--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint, "--rdzv-id", "two-nodes")
    nodes = [subprocess.Popen(torchrun(1, "fit", "u.parquet", "--save", f"node{k}.json", launcher=launcher), cwd=data,
                              env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (0, 1)]
    try:
        outs = [node.communicate(timeout=TIMEOUT) for node in nodes]
    finally:
        for node in nodes:
            node.kill()
    assert [node.returncode for node in nodes] == [0, 0], outs[0][1][-1500:] + outs[1][1][-1500:]
    written = [k for k in (0, 1) if (data / f"node{k}.json").exists()]
    assert len(written) == 1 and sum(bool(out) for out, _ in outs) == 1  # one process 0, on one node
    assert "read in 2 shares by 2 processes" in outs[written[0]][0]
    coef, intercept = saved(data / f"node{written[0]}.json")
    one = one_process(data, TrainConfig())
    assert np.allclose(coef, one.coef, rtol=1e-12, atol=0) and intercept == pytest.approx(one.intercept, rel=1e-12)


def test_two_nodes_with_different_copies_of_one_file_both_stop(tmp_path):
    """A stale copy on one node: the same name, other rows. Without the fingerprints the run fitted a
    mixture of both files; now every process stops with one line and nothing is saved."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    nodes_dirs = []
    for k, slope in enumerate((2.0, 3.0)):  # node 1's copy has another slope: another answer
        where = tmp_path / f"node{k}"
        where.mkdir()
        pd.DataFrame({"x": x, "y": slope * x + 1.0}).to_csv(where / "data.csv", index=False)
        nodes_dirs.append(where)
    before = [hashlib.sha256((d / "data.csv").read_bytes()).hexdigest() for d in nodes_dirs]
    endpoint = f"127.0.0.1:{free_port()}"
    launcher = ("--nnodes", "2", "--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint, "--rdzv-id", "stale-copy")
    nodes = [subprocess.Popen(torchrun(1, "fit", "data.csv", "--save", "m.json", launcher=launcher), cwd=where,
                              env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for where in nodes_dirs]
    try:
        outs = [node.communicate(timeout=TIMEOUT) for node in nodes]
    finally:
        for node in nodes:
            node.kill()
    assert all(node.returncode != 0 for node in nodes), [err[-800:] for _, err in outs]
    lines = [line for _, err in outs for line in own_lines(err)]
    assert len(lines) == 1, outs  # process 0's line; the other process is silenced
    # the independent answer: the sizes of the two copies as the file system reports them
    sizes = [f"{(d / 'data.csv').stat().st_size:,} bytes" for d in nodes_dirs]
    assert re.search(rf"the processes read different data: data.csv is {sizes[0]}, sha256 \w{{12}} on \S+ "
                     rf"\(rank 0\) but {sizes[1]}, sha256 \w{{12}} on \S+ \(rank 1\)", lines[0]) or re.search(
        rf"data.csv is {sizes[1]}.* \(rank 0\) but {sizes[0]}.* \(rank 1\)", lines[0]), lines[0]
    # no traceback from slopefit in any process (torchrun's launcher prints its own on a failed worker)
    assert not any((d / "m.json").exists() for d in nodes_dirs) and "slopefit/" not in outs[0][1] + outs[1][1]
    assert [hashlib.sha256((d / "data.csv").read_bytes()).hexdigest() for d in nodes_dirs] == before


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_for(path: Path, proc: subprocess.Popen, deadline: float) -> None:
    while not path.exists():
        assert proc.poll() is None, "the run ended before its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint in time"
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the workers in /proc")
def test_a_killed_worker_is_restarted_and_the_run_ends_bit_identical(data, minibatch_two):
    ckpt = data / "kill.ckpt"
    # the rendezvous the README recommends for restarts; each round keys its own addresses in torchrun's store
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--max-restarts", "1",
           "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{free_port()}", "-m", "slopefit", "fit",
           "u.parquet", *MINIBATCH, "--checkpoint", str(ckpt), "--checkpoint-every", "100", "--resume", "auto",
           "--save", "recovered.json"]
    agent = subprocess.Popen(cmd, cwd=data, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ckpt, agent, time.monotonic() + TIMEOUT)
        workers = children(agent.pid)
        assert workers, "no worker found"
        os.kill(workers[-1], signal.SIGKILL)
        out, err = agent.communicate(timeout=TIMEOUT)
    finally:
        agent.kill()
    assert agent.returncode == 0, err[-3000:]
    assert f"resumed from {ckpt}" in out
    coef, intercept = saved(data / "recovered.json")
    want_coef, want_intercept = saved(minibatch_two)
    assert np.array_equal(coef, want_coef) and intercept == want_intercept


def test_sigterm_saves_and_a_resumed_run_ends_bit_identical(data):
    args = ["fit", "u.parquet", "--batch-size", "1", "--lr", "0.002", "--epochs", "25", "--dtype", "float64"]
    slopefit = [sys.executable, "-m", "slopefit"]
    whole = run([*slopefit, *args, "--save", "whole.json"], data)
    assert whole.returncode == 0, whole.stderr
    ckpt = data / "term.ckpt"
    proc = subprocess.Popen([*slopefit, *args, "--checkpoint", str(ckpt), "--checkpoint-every", "3000"], cwd=data,
                            env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ckpt, proc, time.monotonic() + TIMEOUT)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert proc.returncode == 143 and out == ""
    assert len(err.strip().splitlines()) == 1  # 3000 steps a pass: the signal lands inside one
    assert re.search(r"stopped by SIGTERM (after step \d+ of|before) epoch \d+", err), err
    resumed = run([*slopefit, *args, "--resume", str(ckpt), "--save", "resumed.json"], data)
    assert resumed.returncode == 0, resumed.stderr
    coef, intercept = saved(data / "resumed.json")
    want_coef, want_intercept = saved(data / "whole.json")
    assert np.array_equal(coef, want_coef) and intercept == want_intercept
    Xy = np.load(data / "Xy.npy")
    best = lstsq(Xy[:, :2], Xy[:, 2])
    loss_star = float(np.mean((Xy[:, 2] - Xy[:, :2] @ best[:2] - best[2]) ** 2))
    loss = float(np.mean((Xy[:, 2] - Xy[:, :2] @ coef - intercept) ** 2))
    # constant-step SGD on batches of 1 rests in a noise ball: excess loss about lr·σ²·tr(H)/4 ≈ 0.003 relative
    assert loss_star <= loss < loss_star * 1.05
    foreign = run([*slopefit, "fit", "u.csv", *args[2:], "--resume", str(ckpt)], data)
    assert foreign.returncode == 1 and len(foreign.stderr.strip().splitlines()) == 1
    assert "is of another run (data u.parquet there, u.csv here" in foreign.stderr


def test_sigterm_to_torchrun_saves_inside_an_epoch_and_two_processes_resume_bit_identical(data):
    import torch

    ckpt = data / "term2.ckpt"
    args = ["fit", "u.parquet", "--batch-size", "10", "--lr", "0.002", "--epochs", "3", "--dtype", "float64",
            "--checkpoint", str(ckpt)]
    whole = run(torchrun(2, *args[:-2], "--save", "whole2.json"), data)  # 300 steps a pass, never stopped
    assert whole.returncode == 0, whole.stderr[-2000:]
    agent = subprocess.Popen(torchrun(2, *args, "--checkpoint-every", "45", "--save", "never2.json"), cwd=data,
                             env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ckpt, agent, time.monotonic() + TIMEOUT)  # saved at step 45, inside the first pass
        agent.send_signal(signal.SIGTERM)  # torchrun passes it on to every worker
        out, err = agent.communicate(timeout=TIMEOUT)
    finally:
        agent.kill()
    assert agent.returncode != 0 and not (data / "never2.json").exists()
    lines = own_lines(err)  # process 0's line; both processes stopped at the same step, none lost the other
    assert len(lines) == 1 and re.search(r"stopped by SIGTERM (after step \d+ of|before) epoch \d", lines[0]), err
    state = read_checkpoint(ckpt)
    assert state["steps"] > 45 and state["steps"] == state["epoch"] * 300 + state["within"]
    proc = run(torchrun(2, *args, "--resume", str(ckpt), "--save", "term2.json"), data)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert np.array_equal(saved(data / "term2.json")[0], saved(data / "whole2.json")[0])
    assert saved(data / "term2.json")[1] == saved(data / "whole2.json")[1]
    one = one_process(data, TrainConfig(lr=0.002, batch_size=10, epochs=3, dtype="float64"))
    assert np.allclose(saved(data / "term2.json")[0], one.coef, rtol=1e-10, atol=0)


WORKER = """
import json, sys
import torch.distributed as dist
from slopefit.dist.distributed import gather_stats
from slopefit.dist.group import session
from slopefit.dist.shards import open_share
from slopefit.dist.tally import RowTally

with session() as group:
    share = open_share("u.parquet", rank=group.rank, world_size=group.world_size, chunk_rows=200)
    seen = []
    stats = gather_stats(share, group, on_rows=seen.append)
    # the store itself: the others read their shares first, then process 0 reads its own and adds theirs
    live = []
    tally = RowTally(group, live.append, interval=0.0)
    if not group.leader:
        rows = 0
        for X, y in share.chunks():
            rows += len(y)
            tally.read(rows)
    dist.barrier()
    if group.leader:
        rows = 0
        for X, y in share.chunks():
            rows += len(y)
            tally.read(rows)
        json.dump({"seen": seen, "n": stats.n, "own": rows, "live": live}, open(sys.argv[1], "w"))
    else:
        assert seen == [] and live == []
"""


def test_process_0_counts_the_rows_of_every_process(data):
    (data / "count_rows.py").write_text(WORKER)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "3", "--master-addr", "127.0.0.1",
           "--master-port", str(free_port()), "count_rows.py", "counted.json"]
    proc = run(cmd, data)
    assert proc.returncode == 0, proc.stderr[-2000:]
    counted = json.loads((data / "counted.json").read_text())
    assert counted["seen"][-1] == counted["n"] == len(pd.read_parquet(data / "u.parquet")) == 3000
    assert counted["seen"] == sorted(counted["seen"]) and counted["own"] == 1500  # row group 1 of 4
    assert counted["live"][0] == 200 + 1500 and counted["live"][-1] == 3000  # process 2's 1500 rows came first


@pytest.fixture(scope="module")
def grunfeld(tmp_path_factory) -> Path:
    """statsmodels' grunfeld (220 rows, sorted by firm) as g.parquet (row groups of 100, 60, 40, 20 rows:
    each process sees only some firms) and as g.csv."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import statsmodels.api as sm

    root = tmp_path_factory.mktemp("grunfeld")
    frame = sm.datasets.grunfeld.load_pandas().data
    frame["firm"] = frame["firm"].astype(str)
    t = pa.Table.from_pandas(frame, preserve_index=False)
    with pq.ParquetWriter(root / "g.parquet", t.schema) as w:
        start = 0
        for size in (100, 60, 40, 20):
            w.write_table(t.slice(start, size))
            start += size
    frame.to_csv(root / "g.csv", index=False)
    return root


def statsmodels_line(formula: str) -> dict[str, float]:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    frame = sm.datasets.grunfeld.load_pandas().data
    frame["firm"] = frame["firm"].astype(str)
    model = smf.ols(formula, frame.astype({"year": int})).fit()  # whole-number years: C(year)[T.1936], as R names
    return {plain(k): float(v) for k, v in model.params.items()}, float(np.linalg.cond(model.model.exog))


def plain(name: str) -> str:
    """A coefficient's name with ``C(firm)`` written ``firm`` (a text column's indicators are named so)."""
    return str(name).replace("C(firm)", "firm")


@pytest.mark.parametrize(("data_file", "columns", "sm_formula"), [
    ("g.parquet", ["--y", "invest", "--x", "value", "capital", "firm"], "invest ~ value + capital + C(firm)"),
    ("g.csv", ["--formula", "invest ~ value + capital + C(firm) + C(year)"],
     "invest ~ value + capital + C(firm) + C(year)"),
    ("g.parquet", ["--formula", "invest ~ value + I(value * capital) + C(firm) - 1"],
     "invest ~ value + I(value * capital) + C(firm) - 1"),
], ids=["parquet-text-column", "csv-formula-year-categories", "parquet-formula-no-intercept"])
def test_categories_and_formulas_over_two_processes_match_one_process_and_statsmodels(grunfeld, data_file, columns,
                                                                                      sm_formula):
    from slopefit.solve.preparation import open_data

    name = f"{data_file.replace('.', '_')}_{len(columns)}"
    proc = run(torchrun(2, "fit", data_file, *columns, "--json", f"{name}.json"), grunfeld)
    assert proc.returncode == 0, proc.stderr[-2000:]
    two = json.loads((grunfeld / f"{name}.json").read_text())
    want, cond = statsmodels_line(sm_formula)
    exact = {plain(k): v for k, v in two["exact"]["coef"].items()}
    if two["fit_intercept"]:
        exact["Intercept"] = two["exact"]["intercept"]
    assert sorted(exact) == sorted(want)  # the same indicator columns, named alike
    scale = max(abs(v) for v in want.values())
    # either solver's error grows with the design's condition number (I(value * capital): about 2.5e7)
    assert max(abs(exact[k] - want[k]) for k in want) <= max(1e-10, 10 * cond * np.finfo(float).eps) * scale
    formula = columns[1] if columns[0] == "--formula" else None
    one = fit(open_data(str(grunfeld / data_file), formula=formula) if formula else
              open_data(str(grunfeld / data_file), y="invest", x=["value", "capital", "firm"]), TrainConfig())
    assert list(one.feature_names) == list(two["coef"]) and one.config.fit_intercept == two["fit_intercept"]
    assert np.allclose(list(two["coef"].values()), one.coef, rtol=1e-9, atol=1e-9 * scale)
    assert np.allclose(list(one.exact.coef), list(two["exact"]["coef"].values()), rtol=1e-12, atol=1e-12 * scale)
