"""The design of a run's data read in shares: text columns' levels gathered from every process.

One process reading a table finds each text column's levels in a first pass over the whole
file (:func:`slopefit.data.tables.open_table`). Under torchrun each process reads only its share,
so each makes that first pass over its own parts (Parquet row groups, CSV byte ranges, files);
the processes exchange their levels (one ``all_gather_object``), take the union, sorted, and the
first chunk of the first process holding rows (one ``broadcast_object_list``), and every process
builds the same :class:`slopefit.data.design.Design` from them (:func:`slopefit.data.design.streamed_design`):
the same indicator columns, the same formula terms, whatever the number of processes. Stateful
formula transforms (``center``, ``scale``, ``poly``) stay refused, as for any table read in chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from slopefit.data.arrays import column_values
from slopefit.errors import DataError, SlopefitError


def share_design(parts: Sequence, group, *, used: Sequence[str], inputs: Sequence[str], text: Sequence[str],
                 forced: Sequence[str] = (), target: str | None, formula: str | None, label: str):
    """The design every process of the run builds alike, from every process's levels.

    Parameters
    ----------
    parts : sequence of TableSource
        This process's parts (may be empty), not yet through a design.
    group : slopefit.dist.group.Group or None
        None: a run of one (its parts are every part).
    used : sequence of str
        The columns read (features or a formula's columns, and the target); keyword-only (as are all below).
    inputs : sequence of str
        The features, or the formula's right-side columns.
    text : sequence of str
        The text columns among ``inputs`` (:func:`slopefit.data.tables.category_columns`).
    forced : sequence of str
        Numeric columns a formula makes categories (``C(year)``).
    target : str or None
        The target column; None: the formula's left side.
    formula : str or None
    label : str
        The data's name in messages.

    Returns
    -------
    Design

    Raises
    ------
    DataError
        A part that cannot be read (in any process), no rows at all, a text column with one
        level or too many, a stateful formula transform.
    """
    from slopefit.data.columns import MAX_LEVELS
    from slopefit.data.design import Design, streamed_design
    from slopefit.dist.group import agree, gather_objects
    from slopefit.data.readers import first_line

    names = [*text, *(c for c in inputs if c in forced and c not in text)]
    levels: dict[str, set] = {c: set() for c in names}
    first: dict[str, np.ndarray] | None = None
    plain = Design(target=target or "", columns=(), inputs=tuple(inputs), text=tuple(text))  # text read as text
    error: SlopefitError | None = None
    try:
        for part in parts:
            reader = replace(part, columns=tuple(used), design=plain)
            for batch in reader._batches():
                if first is None and batch.num_rows:
                    first = {c: (np.array(batch.column(c).to_pylist(), dtype=object) if c in text
                                 else column_values(batch.column(c)).astype(np.float64))
                             for c in used}
                for c in levels:
                    levels[c].update(v for v in batch.column(c).unique().to_pylist() if v is not None and v != "")
    except DataError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - pyarrow's conversion and I/O errors as one line
        error = DataError(f"cannot read {label}: {first_line(exc)}")
    agree(group, error)
    found = {c: sorted(v)[:MAX_LEVELS + 1] for c, v in levels.items()}  # more is refused all the same
    gathered = gather_objects(group, (found, first is not None))
    holder = next((rank for rank, (_, has) in enumerate(gathered) if has), None)
    if holder is None:
        raise DataError(f"{label} has no data rows")
    first = _broadcast(group, first, source=holder)
    assert first is not None
    whole = {c: sorted({v for found, _ in gathered for v in found[c]}) for c in names}
    for c in text:
        first[c] = np.array([v if v not in (None, "") else None for v in first[c]], dtype=object)
    return streamed_design(first, whole, inputs=inputs, target=target or "", text=text, formula=formula,
                           label=label)


def _broadcast(group, item, *, source: int):
    """Process ``source``'s ``item`` (picklable), in every process; ``item`` itself for a run of one."""
    if group is None:
        return item
    import torch.distributed as dist

    from slopefit.dist.group import collective

    box = [item if group.rank == source else None]
    with collective("exchanging what each read"):
        dist.broadcast_object_list(box, src=source)
    return box[0]
