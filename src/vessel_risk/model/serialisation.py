"""Which types a stored model may hold: the reviewed allow-list for skops.

The model registry (:mod:`vessel_risk.model.registry`) stores models with skops, which
loads only the types it is told to trust. :data:`TRUSTED_TYPES` is that list, reviewed
type by type; :func:`check_trusted` refuses a model holding any other type before it is
registered, and :func:`load_skops` loads a stored model against the list, never against
the one a model file carries. Nothing here trusts every type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TRUSTED_TYPES = (
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "sklearn.tree._tree.Tree",
    "vessel_risk.model.pu.PULightGBMClassifier",
    "vessel_risk.model.pu.BaggedRandomForestClassifier",
    "vessel_risk.model.baseline.IndicatorBaseline",
)
"""Types skops may load besides those it trusts by default (scikit-learn's estimators,
builtins, numpy arrays): a reviewed allow-list, one entry per type our models hold.

Reviewed: ``OrderedDict`` (a dict; LightGBM's parameters), LightGBM's ``Booster`` (restored
from its text model, no code) and ``LGBMClassifier``; ``sklearn.tree._tree.Tree`` (the
fitted tree of every random forest in ``bagged-rf``: skops rebuilds it from its node and
value arrays; skops 0.16 leaves it out of its default list); our three estimators (their
state is numbers, arrays and the estimators above). :func:`check_trusted` refuses to
register a model holding any other type, and :func:`load_version` loads with this list,
never with the list a model's ``MLmodel`` file carries (a crafted file could trust anything).

skops names a class by its defining module. Models registered before the estimators moved
into :mod:`vessel_risk.model.pu` and :mod:`vessel_risk.model.baseline` name them
``vessel_risk.model.PULightGBMClassifier`` (and so on, :data:`PRE_SPLIT_TYPES`); those paths
still resolve through :mod:`vessel_risk.model`, so old models load."""

PRE_SPLIT_TYPES = (
    "vessel_risk.model.PULightGBMClassifier",
    "vessel_risk.model.BaggedRandomForestClassifier",
    "vessel_risk.model.IndicatorBaseline",
)
"""Where models registered before the split of :mod:`vessel_risk.model` name our estimators;
trusted when loading only."""


def untrusted_types(model: Any) -> list[str]:
    """Types in ``model``'s skops serialisation that skops does not trust by default.

    Parameters
    ----------
    model : estimator
        A fitted model.

    Returns
    -------
    list of str
        Dotted type names (skops' ``get_untrusted_types``), sorted.
    """
    import skops.io

    return sorted(skops.io.get_untrusted_types(data=skops.io.dumps(model)))


def check_trusted(model: Any) -> list[str]:
    """The model's untrusted types, all of which must be on :data:`TRUSTED_TYPES`.

    Returns
    -------
    list of str
        The types skops needs trusted to load the model.

    Raises
    ------
    ValueError
        Naming every type not on the reviewed allow-list: review it (what it stores, what
        loading it runs) and add it to :data:`TRUSTED_TYPES`, never trust everything.
    """
    found = untrusted_types(model)
    extra = [t for t in found if t not in TRUSTED_TYPES]
    if extra:
        raise ValueError(
            f"The model {type(model).__name__} holds types that are not on the reviewed "
            f"allow-list vessel_risk.model.serialisation.TRUSTED_TYPES: {extra}. Review what "
            "each stores and add it there; the registry never trusts every type."
        )
    return found


def load_skops(model_dir: Path) -> Any:
    """Load ``model_dir/model.skops`` (an MLflow sklearn model) trusting only reviewed types.

    Parameters
    ----------
    model_dir : Path
        The folder of an MLflow model saved with skops.

    Returns
    -------
    estimator

    Raises
    ------
    ValueError
        If there is no ``model.skops`` or it holds a type on neither
        :data:`TRUSTED_TYPES` nor :data:`PRE_SPLIT_TYPES` (nothing is loaded).
    """
    import skops.io

    path = Path(model_dir) / "model.skops"
    if not path.exists():
        raise ValueError(
            f"{str(model_dir)!r} holds no model.skops: the registry stores models with skops only."
        )
    found = skops.io.get_untrusted_types(file=path)
    allowed = set(TRUSTED_TYPES) | set(PRE_SPLIT_TYPES)
    extra = sorted(t for t in found if t not in allowed)
    if extra:
        raise ValueError(
            f"The registered model at {str(model_dir)!r} holds types that are not on the "
            f"reviewed allow-list: {extra}. It is not loaded."
        )
    return skops.io.load(path, trusted=sorted(found))
