"""The reviewed allow-list of types a stored model may hold (skops)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from vessel_risk.features.catalogue import PIPELINE_FEATURES
from vessel_risk.model.factory import make_model
from vessel_risk.model.serialisation import (
    TRUSTED_TYPES,
    check_trusted,
    load_skops,
    untrusted_types,
)

FAST = {"n_bags": 2, "n_estimators": 5, "random_state": 0}


class Unreviewed(ClassifierMixin, BaseEstimator):
    """A model type nobody reviewed: the registry must refuse it."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        (
            "bagged-rf",
            FAST,
            ["sklearn.tree._tree.Tree", "vessel_risk.model.pu.BaggedRandomForestClassifier"],
        ),
        (
            "pu-lightgbm",
            FAST,
            [
                "collections.OrderedDict",
                "lightgbm.basic.Booster",
                "lightgbm.sklearn.LGBMClassifier",
                "vessel_risk.model.pu.PULightGBMClassifier",
            ],
        ),
        ("indicator-baseline", {}, ["vessel_risk.model.baseline.IndicatorBaseline"]),
    ],
)
def test_every_model_kind_needs_only_reviewed_types(fleet, kind, params, expected):
    model = make_model(kind, **params).fit(fleet[list(PIPELINE_FEATURES)], fleet["known_offender"])
    assert untrusted_types(model) == expected
    assert check_trusted(model) == expected
    assert set(expected) <= set(TRUSTED_TYPES)


def test_an_unreviewed_type_is_refused_at_registration_and_at_loading(fleet, tmp_path):
    import mlflow.sklearn

    model = Unreviewed().fit(None, None)
    name = f"{__name__}.Unreviewed"
    with pytest.raises(ValueError, match=f"not on the reviewed allow-list .*{name}"):
        check_trusted(model)
    # A model file that trusts its own type (as a crafted MLmodel can) is still not loaded.
    mlflow.sklearn.save_model(model, str(tmp_path / "m"), skops_trusted_types=[name])
    assert name in (tmp_path / "m" / "MLmodel").read_text()
    with pytest.raises(ValueError, match="is not loaded"):
        load_skops(tmp_path / "m")
    with pytest.raises(ValueError, match="no model.skops"):
        load_skops(tmp_path)
