"""What a finished run can be downloaded as: the model JSON of ``slopefit fit --save`` and the
HTML report of ``slopefit fit --report``, written by the library's own writers to a private
temporary folder and read back."""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEEP_RUNS = 100  # finished runs kept for download; the oldest is forgotten beyond this


@dataclass(frozen=True)
class FinishedRun:
    """A run's data and result, kept so that its files can be made on request."""

    data: Any
    result: Any


class RunStore:
    """The last :data:`KEEP_RUNS` finished runs by job id."""

    def __init__(self) -> None:
        self._runs: OrderedDict[str, FinishedRun] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, run_id: str, data, result) -> None:
        with self._lock:
            self._runs[run_id] = FinishedRun(data, result)
            while len(self._runs) > KEEP_RUNS:
                self._runs.popitem(last=False)

    def get(self, run_id: str) -> FinishedRun | None:
        with self._lock:
            return self._runs.get(run_id)


def model_json(run: FinishedRun) -> bytes:
    """The model file ``slopefit fit --save`` writes for this run (:func:`slopefit.views.persistence.save_model`)."""
    from slopefit.views.persistence import model_from_result, save_model

    with tempfile.TemporaryDirectory(prefix="slopefit-model-") as folder:
        path = save_model(model_from_result(run.result), Path(folder) / "model.json")
        return path.read_bytes()


def report_html(run: FinishedRun, lang: str) -> bytes:
    """The page ``slopefit fit --report`` writes for this run: the printed block and its figures."""
    from slopefit.texts import text
    from slopefit.views.figures import fit_figures
    from slopefit.views.report import Section, write_report
    from slopefit.views.tables import fit_report

    result = run.result
    with tempfile.TemporaryDirectory(prefix="slopefit-report-") as folder:
        images = fit_figures(run.data, result, folder, lang)
        path = write_report(Path(folder) / "report.html", title=f"slopefit fit: {run.data.name}",
                            sections=[Section(text("report.result", lang), fit_report(run.data, result, lang=lang)),
                                      Section(text("report.figures", lang), images=images)],
                            settings={"data": run.data.name, "run": result.config.describe(),
                                      "scale": result.config.scaling}, lang=lang)
        return path.read_bytes()
