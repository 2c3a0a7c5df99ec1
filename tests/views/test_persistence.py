"""Model files: round trip, refusal of foreign or other-version files, atomic writes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from slopefit.data.datasets import make_synthetic
from slopefit.data.sources import builtin
from slopefit.errors import ModelFileError
from slopefit.train.config import TrainConfig
from slopefit.train.training import fit
from slopefit.views.persistence import FORMAT_VERSION, load_model, model_from_result, save_model


@pytest.fixture(scope="module")
def result():
    return fit(make_synthetic(100, 3, seed=5), TrainConfig(lr=0.05, epochs=500, options={"momentum": 0.9}))


def test_round_trip_predicts_the_same(tmp_path, result):
    path = save_model(model_from_result(result), tmp_path / "m.json")
    model = load_model(path)
    X = np.random.default_rng(0).standard_normal((7, 3))
    np.testing.assert_allclose(model.predict(X), result.predict(X), rtol=1e-15)
    assert model.feature_names == ("x0", "x1", "x2") and model.target_name == "y"
    data = json.loads(path.read_text())
    assert data["format"] == "slopefit-model" and data["format_version"] == FORMAT_VERSION
    assert data["training"]["optimizer"] == "sgd" and data["training"]["options"] == {"momentum": 0.9}
    assert data["scaling"]["method"] == "standardize"
    assert data["final_loss"] == pytest.approx(result.final_loss)
    assert data["exact_loss"] == pytest.approx(result.exact.loss)


def test_loading_and_predicting_need_no_torch(tmp_path):
    res = fit(builtin("height-weight"), TrainConfig(lr=0.05, epochs=300, options={"momentum": 0.9}))
    path = save_model(model_from_result(res), tmp_path / "hw.json")
    code = ("import sys; from slopefit.views.persistence import load_model; import numpy as np; "
            f"m = load_model({str(path)!r}); print(m.predict(np.array([[175.0]]))[0]); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert float(out[0]) == pytest.approx(res.exact.predict(np.array([[175.0]]))[0], rel=1e-6)
    assert out[1] == "False"


def test_not_a_model(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(ModelFileError, match=r"is not a slopefit model \(no \"format\": \"slopefit-model\"\)"):
        load_model(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("not json at all")
    with pytest.raises(ModelFileError, match="is not a slopefit model: not valid JSON"):
        load_model(tmp_path / "y.json")


def test_other_format_version(tmp_path, result):
    path = save_model(model_from_result(result), tmp_path / "m.json")
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="has model format version 99, but this slopefit reads version 1"):
        load_model(path)


def test_damaged_model(tmp_path, result):
    path = save_model(model_from_result(result), tmp_path / "m.json")
    data = json.loads(path.read_text())
    data["coef"] = [1.0]
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="damaged slopefit model"):
        load_model(path)


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"does not exist; create one with save_model\(model, \"MODEL.json\"\)"):
        load_model(tmp_path / "none.json")


def test_failed_write_leaves_old_file_untouched(tmp_path, result, monkeypatch):
    path = tmp_path / "m.json"
    path.write_text("previous contents")

    def broken_dumps(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dumps", broken_dumps)
    with pytest.raises(KeyboardInterrupt):
        save_model(model_from_result(result), path)
    assert path.read_text() == "previous contents"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_damaged_interval_information(tmp_path, result):
    path = save_model(model_from_result(result), tmp_path / "m.json")
    data = json.loads(path.read_text())
    del data["inference"]["dof_resid"]
    path.write_text(json.dumps(data))
    # the schema refuses the file when it is read, not when intervals are asked for
    with pytest.raises(ModelFileError, match="field inference object missing required field `dof_resid`, found "
                       "\\{'n': .*; refit and save it again"):
        load_model(path)


def test_a_loaded_model_names_its_intervals_and_flags_rows_outside_the_range(tmp_path):
    model = load_model(save_model(model_from_result(fit(builtin("height-weight"))), tmp_path / "m.json"))
    X = np.array([[170.0], [200.0], [150.0]])
    got = model.interval(X)
    assert np.array_equal(got.mean, model.predict(X))
    mean, conf_low, conf_high, pred_low, pred_high = got  # existing callers unpack five arrays
    assert (pred_low < conf_low).all() and (conf_high < pred_high).all() and got.pred_low is pred_low
    assert model.outside_range(X).tolist() == [False, True, True]
    assert model.outside_range(X, per_feature=True).tolist() == [[False], [True], [True]]
