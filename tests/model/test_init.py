"""The face of vessel_risk.model: its re-exports, and scikit-learn loaded only when needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

import vessel_risk.model as face
from vessel_risk.features import catalogue
from vessel_risk.model import baseline, factory, pu, scoring


def test_every_exported_name_is_the_object_of_its_defining_module():
    homes = {
        **{n: catalogue for n in ("PIPELINE_FEATURES", "candidate_features", "feature_meaning")},
        **{n: catalogue for n in ("FEATURE_MEANINGS", "FeatureMeaning", "GFW_FEATURES")},
        **{n: catalogue for n in ("ID_COLUMNS", "LABEL_COLUMNS", "NEEDS_OPTIONAL_INPUT")},
        **{n: scoring for n in ("as_matrix", "evidence_shares", "model_input")},
        **{n: pu for n in ("PULightGBMClassifier", "BaggedRandomForestClassifier")},
        "IndicatorBaseline": baseline,
        "MODELS": factory,
        "make_model": factory,
    }
    assert sorted(face.__all__) == sorted(homes)
    for name, module in homes.items():
        assert getattr(face, name) is getattr(module, name), name
    assert set(face.__all__) <= set(dir(face))
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        face.nothing  # noqa: B018


def test_the_indicators_load_without_scikit_learn():
    """The command line imports vessel_risk.model.indicators at start; sklearn waits."""
    code = (
        "import sys\n"
        "import vessel_risk.model.indicators, vessel_risk.model\n"
        "print('sklearn' in sys.modules)\n"
        "vessel_risk.model.PULightGBMClassifier\n"
        "print('sklearn' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "True"]
