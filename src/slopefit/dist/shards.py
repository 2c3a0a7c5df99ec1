"""Which rows each process of a run reads: its share of one file, of a list or of a directory of files.

A run of ``W`` processes (:mod:`slopefit.dist.distributed`) splits its data into *units* that can
be read on their own: the row groups of Parquet files, whole CSV files, or, for a single CSV
file, ``W`` byte ranges cut at line starts. The units keep the data's order and are dealt out
in contiguous blocks of about equal rows (Parquet) or bytes (CSV): process 0 reads the first
rows, process ``W - 1`` the last, and a process may get none when there are fewer units than
processes. Each process then reads only its :class:`Share`, chunk by chunk, through
:class:`slopefit.data.tables.TableSource` (the same parsing, dialects, empty cells and error
messages as one process reading the whole file).

One process given a directory or a glob pattern reads every file as the share of a run of one.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from slopefit.errors import DataError
from slopefit.data.tables import DEFAULT_CHUNK_ROWS, PARQUET_SUFFIXES, TableSource, category_columns, open_table

DATA_SUFFIXES = (*PARQUET_SUFFIXES, ".csv", ".tsv", ".txt")  # the files of a directory that are read


def is_many(spec: str | os.PathLike[str]) -> bool:
    """Whether DATA names several files: a directory, or a glob pattern (``'parts/*.parquet'``).

    Parameters
    ----------
    spec : str or os.PathLike
        What the command line gave as DATA.

    Returns
    -------
    bool
    """
    text = os.fspath(spec)
    return Path(text).is_dir() or (not Path(text).exists() and any(c in text for c in "*?["))


def data_files(spec: str | os.PathLike[str]) -> list[Path]:
    """The files DATA names, in the order their rows are read (sorted by name).

    Parameters
    ----------
    spec : str or os.PathLike
        A file, a directory (its ``.parquet``/``.pq``/``.csv``/``.tsv``/``.txt`` files) or a glob pattern.

    Returns
    -------
    list of Path

    Raises
    ------
    DataError
        Nothing to read there, or Parquet and CSV files mixed.
    """
    text = os.fspath(spec)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)
        where = f"directory {text!r} has no .parquet, .pq, .csv, .tsv or .txt files"
    elif path.exists():
        from slopefit.data.files import check_regular

        check_regular(path)  # a FIFO or a device would block or never end
        files = [path]
        where = ""
    else:
        files = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
        where = f"no file matches {text!r}"
    if not files:
        raise DataError(f"{where}; give a data file, a directory of them, or a quoted pattern such as "
                        "'parts/*.parquet'")
    kinds = {p.suffix.lower() in PARQUET_SUFFIXES for p in files}
    if len(kinds) > 1:
        raise DataError(f"{text} mixes Parquet and CSV files ({', '.join(p.name for p in files[:4])}"
                        f"{', ...' if len(files) > 4 else ''}); give files of one format")
    return files


def deal(weights: Sequence[float], world_size: int) -> list[int]:
    """The process each unit goes to: contiguous blocks of about equal weight, in order.

    Unit ``i`` goes to the process whose slice ``[r/W, (r+1)/W)`` of the total weight holds the
    middle of the unit, so blocks never interleave and a unit heavier than a share may leave a
    process with none.

    Parameters
    ----------
    weights : sequence of float
        Rows (or bytes) of each unit, >= 0.
    world_size : int
        Processes, >= 1.

    Returns
    -------
    list of int
        The rank of each unit, non-decreasing.

    Examples
    --------
    >>> deal([100, 100, 100, 100], 2)
    [0, 0, 1, 1]
    >>> deal([500, 10, 10], 3)  # the heavy unit's middle (250 of 520) is in process 1's third: 0 gets none
    [1, 2, 2]
    """
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if total <= 0:
        return [0] * len(w)
    middle = np.cumsum(w) - w / 2.0
    return [min(int(world_size * m / total), world_size - 1) for m in middle]


@dataclass(frozen=True)
class Unit:
    """A block of rows one process reads on its own: a Parquet row group, a CSV file or a byte range of one."""

    file: int  # index into the run's files
    group: int | None  # the Parquet row group, or None
    byte_range: tuple[int, int] | None  # the CSV bytes, or None (the whole file)
    weight: float  # rows (Parquet) or bytes (CSV)


def units_of(sources: Sequence[TableSource], world_size: int) -> list[Unit]:
    """Every unit of the run's files, in data order (see the module docstring).

    Parameters
    ----------
    sources : sequence of TableSource
        The run's files, opened (metadata only).
    world_size : int
        Processes; a single CSV file is cut into this many byte ranges.

    Returns
    -------
    list of Unit
    """
    units: list[Unit] = []
    for i, src in enumerate(sources):
        if src.format == "parquet":
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(src.path).metadata
            units += [Unit(i, g, None, meta.row_group(g).num_rows) for g in range(meta.num_row_groups)]
        elif len(sources) == 1 and world_size > 1:
            size = src.path.stat().st_size
            cuts = [size * r // world_size for r in range(world_size + 1)]
            units += [Unit(i, None, (cuts[r], cuts[r + 1]), cuts[r + 1] - cuts[r]) for r in range(world_size)]
        else:
            units.append(Unit(i, None, None, src.path.stat().st_size))
    return units


@dataclass(frozen=True)
class Share:
    """The rows one process of a run reads: parts of the run's files, in data order.

    Quacks like :class:`slopefit.data.tables.TableSource` where the pipeline reads rows
    (``chunks``, ``read_all``, ``feature_names``, ``name``); its statistics are gathered over
    every process by :func:`slopefit.dist.distributed.gather_stats`.

    Attributes
    ----------
    parts : tuple of TableSource
        What this process reads (Parquet row groups or CSV byte ranges of a file, or whole files); may be empty.
    feature_names : tuple of str
    target_name : str
    name : str
        The whole data's name in messages and tables (``parts/ (3 files)``).
    rank, world_size : int
        This process and how many there are.
    files : int
        Files in the whole run.
    design : slopefit.data.design.Design or None
        How text columns or a formula make the features (alike in every process), or None.
    group : slopefit.dist.group.Group or None
        The process group the share belongs to (its collectives), None for a run of one.
    tally : dict
        Filled by the statistics pass: ``"dropped"`` rows left out for empty cells by every process.
    """

    parts: tuple[TableSource, ...]
    feature_names: tuple[str, ...]
    target_name: str
    name: str
    rank: int = 0
    world_size: int = 1
    files: int = 1
    design: Any = field(default=None, repr=False, compare=False)
    group: Any = field(default=None, repr=False, compare=False)  # slopefit.dist.group.Group, None for a run of one
    tally: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def dropped_rows(self) -> int:
        """Rows left out for empty cells by every process (0 before the statistics pass)."""
        return int(self.tally.get("dropped", 0))

    def local_dropped(self) -> int:
        """Rows this process left out for empty cells in its last pass."""
        return sum(p.dropped_rows for p in self.parts)

    def chunks(self, *, on_rows: Callable[[int], None] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(X, y)`` chunks of this process's rows, in data order; ``on_rows`` gets the rows read so far."""
        done = 0
        for part in self.parts:
            for X, y in part.chunks():
                done += len(y)
                if on_rows is not None:
                    on_rows(done)
                yield X, y

    def read_all(self) -> tuple[np.ndarray, np.ndarray]:
        """This process's rows in memory: X (rows, n_features) and y (rows,), float32 when every
        part is float32, else float64; empty arrays when the share is empty."""
        parts = list(self.chunks())
        if not parts:
            return np.empty((0, self.n_features)), np.empty(0)
        dtype = np.result_type(*[p[0].dtype for p in parts])
        return (np.concatenate([p[0] for p in parts]).astype(dtype, copy=False),
                np.concatenate([p[1] for p in parts]).astype(dtype, copy=False))

    def describe(self) -> str:
        """What this process reads, in words (for logs and tests)."""
        return "; ".join(p.name for p in self.parts) or "nothing"


def open_share(spec: str | os.PathLike[str], *, rank: int = 0, world_size: int = 1,
               x: Sequence[str] | None = None, y: str | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS,
               sep: str | None = None, decimal: str | None = None, missing: str = "error",
               formula: str | None = None, group=None, encoding: str | None = None,
               thousands: str | None = None) -> Share:
    """The share of the data that process ``rank`` of ``world_size`` reads.

    Parameters
    ----------
    spec : str or os.PathLike
        A file, a directory of files or a glob pattern (see :func:`data_files`).
    rank, world_size : int
        This process and how many there are; keyword-only.
    x, y, chunk_rows, sep, decimal, missing, formula, encoding, thousands
        As :func:`slopefit.data.tables.open_table`; every file must have the columns used.
    group : slopefit.dist.group.Group or None, default None
        The run's processes: text columns (categories) and a formula get the levels of every
        process's share (:func:`slopefit.dist.sharedesign.share_design`, a collective: every process
        calls it); None: ``rank`` reads alone (only ``world_size`` 1 may then have categories).

    Returns
    -------
    Share

    Raises
    ------
    DataError
        No files, mixed formats, a file that cannot be read or lacks a column, files whose
        columns differ.
    """
    files = data_files(spec)
    if group is not None:  # every process must read the same files: compared before any row is read
        from slopefit.dist.inputs import check_inputs_agree

        check_inputs_agree(group, files)
    if formula is not None and (x or y):
        from slopefit.errors import ConfigError

        raise ConfigError("give the columns either in the formula or with x= and y=, not both")
    sources = [open_table(f, x=list(x) if x else None, y=y, chunk_rows=chunk_rows, sep=sep, decimal=decimal,
                          missing=missing, levels=False, encoding=encoding, thousands=thousands) for f in files]
    first = sources[0]
    text = category_columns(first)
    if (text or formula is not None) and group is None and world_size > 1:
        raise DataError(f"column {text[0]!r} of {first.name} holds text (categories): their levels need every "
                        "process's share; give open_share the group" if text else
                        "a formula's levels need every process's share; give open_share the group")
    for src in sources[1:]:
        if (src.feature_names, src.target_name) != (first.feature_names, first.target_name):
            raise DataError(f"{src.name} has features {', '.join(src.feature_names)} -> {src.target_name} but "
                            f"{first.name} has {', '.join(first.feature_names)} -> {first.target_name}; give files "
                            "with the same columns, or choose them with x= and y=")
    units = units_of(sources, world_size)
    ranks = deal([u.weight for u in units], world_size)
    mine = [u for u, r in zip(units, ranks, strict=True) if r == rank]
    parts = []
    for i, src in enumerate(sources):
        own = [u for u in mine if u.file == i]
        if not own:
            continue
        if src.format == "parquet":
            groups = tuple(u.group for u in own if u.group is not None)
            total = sum(1 for u in units if u.file == i)
            if len(groups) < total:
                rows = int(sum(u.weight for u in own))
                before = [u for u in units if u.file == i and u.group is not None and u.group < groups[0]]
                start_row = int(sum(u.weight for u in before))
                span = f" {groups[0] + 1}" if len(groups) == 1 else f"s {groups[0] + 1}-{groups[-1] + 1}"
                label = (f"{src.name} (row group{span} of {total}: its rows {start_row + 1}-{start_row + rows}, "
                         "numbered from 1 here)")
                src = replace(src, groups=groups, n_rows=rows, name=label)
        elif own[0].byte_range is not None:
            if src.encoding.replace("_", "-").startswith(("utf-16", "utf-32")):  # a line end is not one byte
                raise DataError(f"{src.name} is {src.encoding.upper()} text, which processes cannot share by byte "
                                "ranges; save it as CSV UTF-8 or Parquet, or give each process a file of its own")
            start, stop = own[0].byte_range[0], own[-1].byte_range[1]  # type: ignore[index]
            src = replace(src, byte_range=(start, stop), n_rows=None,
                          name=f"{src.name} (lines starting in bytes {start}-{stop - 1})")
        parts.append(src)
    label = os.fspath(spec) if len(files) > 1 or Path(os.fspath(spec)).is_dir() else first.name
    if len(files) > 1:
        label = f"{label} ({len(files)} files)"
    features, target = first.feature_names, first.target_name
    if text or formula is not None:
        from slopefit.dist.sharedesign import share_design

        if formula is not None:
            from slopefit.data.formulas import formula_columns

            names = [*first.feature_names, first.target_name]
            used, inputs, forced = formula_columns(formula, names, label=first.name)
            text = category_columns(replace(first, feature_names=tuple(inputs), target_name=""))
            design = share_design(parts, group, used=used, inputs=inputs, text=text, forced=sorted(forced),
                                  target=None, formula=formula, label=label)
        else:
            used = [*features, target]
            design = share_design(parts, group, used=used, inputs=features, text=text, target=target, formula=None,
                                  label=label)
        parts = [replace(p, feature_names=design.columns, target_name=design.target, design=design, columns=tuple(used))
                 for p in parts]
        features, target = design.columns, design.target
    return Share(parts=tuple(parts), feature_names=features, target_name=target, name=label,
                 rank=rank, world_size=world_size, files=len(files), design=design if text or formula else None,
                 group=group)

