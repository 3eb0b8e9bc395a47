"""The HTML report of model evaluations: a comparison table, plots and per-model detail.

:func:`report_html` renders one or more :class:`~vessel_risk.model.evaluate.Evaluation`
results as a self-contained page (plots embedded as PNG): what the labels can and cannot
support, the adversarial validation of an unlabelled source (when one was used), the
comparison of metrics, then for each model its warnings (single features at AUC >= 0.8,
stand-ins), out-of-fold score distribution by label, calibration curve, feature
importance, per-fold metrics (with held-out ECE), the stand-in analysis (score against
flag, gear and region), known against possible offenders, results by gear and flag,
and the single-feature AUC table. The training run logs it to the model registry and
``vessel-risk evaluate`` writes it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from vessel_risk.model.evaluate import Evaluation


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return '<img src="data:image/png;base64,' + base64.b64encode(buf.getvalue()).decode() + '"/>'


def _plots(ev: Evaluation) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    s = ev.scores
    names = {0: "unlabelled", 1: "known offender", 2: "known non-offender", 3: "possible"}
    for c, lab in names.items():
        v = s.loc[s["label_class"] == c, "score"]
        if len(v):
            axes[0].hist(v, bins=30, alpha=0.5, density=True, label=f"{lab} ({len(v)})")
    axes[0].set(title="Out-of-fold score by label", xlabel="score", ylabel="density")
    axes[0].legend(fontsize=7)
    cal = ev.calibration
    axes[1].plot([0, 1], [0, 1], "k:", lw=1)
    axes[1].plot(cal["mean_predicted"], cal["fraction_positive"], "o-")
    axes[1].set(
        title=f"Calibration (ECE {ev.metrics['ece']:.3f})",
        xlabel="mean predicted probability",
        ylabel="fraction positive",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    imp = ev.importance.head(15)[::-1]
    axes[2].barh([str(i) for i in imp.index], imp.to_numpy())
    axes[2].set(title="Feature importance (final model)")
    axes[2].tick_params(axis="y", labelsize=7)
    return _png(fig)


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda x: f"{x:.3f}", border=0, classes="t")


def _stand_in_html(e: Evaluation) -> str:
    """The stand-in analysis and known against possible offenders, for one evaluation."""
    parts = [
        "<h3>Stand-in analysis: does the score predict the fleet?</h3>",
        "<p>Flag, gear and region are stand-ins for a fleet, not for abuse. Each row is the "
        "AUC of the out-of-fold score for being in that category (one against the rest); "
        "the first, for being outside the fleet most known non-offenders come from. An AUC "
        "far from 0.5 either way (max(AUC, 1 − AUC) ≥ 0.8 is marked) means the score "
        "tells that fleet from the others, which a fleet detector also does.</p>",
    ]
    si = e.stand_ins
    if len(si):
        if si["warning"].any():
            parts.append(
                "<p class='warn'>Warning: the score predicts "
                + html.escape(
                    "; ".join(
                        f"{r.attribute} {r.category} (AUC {r.auc:.3f})"
                        for r in si.loc[si["warning"]].itertuples()
                    )
                )
                + ".</p>"
            )
        parts.append(_table(si))
    else:
        parts.append("<p>The table has no flag, gear or region column.</p>")
    kvp = e.metrics.get("known_vs_possible_auc", float("nan"))
    if kvp == kvp:
        parts.append(
            f"<h3>Known against possible offenders</h3><p>AUC {kvp:.3f} (known offenders "
            "above possible offenders; 0.5 = no difference, below 0.5 = possible offenders "
            "score higher).</p>"
        )
    return "\n".join(parts)


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def adversarial_html(result: Any) -> str:
    """The adversarial-validation section: can a classifier tell the sources apart?

    Parameters
    ----------
    result : object or mapping
        With ``auc`` (float), ``auc_ci`` ((low, high) or None), ``top_features`` (list of
        (name, importance or single-feature AUC)) and ``comparable`` (bool), as the
        adversarial validation of the training command returns; a dict with those keys
        works too.

    Returns
    -------
    str
        An HTML fragment (empty for None).
    """
    if result is None:
        return ""
    auc_v = _field(result, "auc")
    ci = _field(result, "auc_ci")
    comparable = _field(result, "comparable")
    top = list(_field(result, "top_features") or [])
    ci_txt = ""
    if ci is not None and len(ci) == 2:
        ci_txt = f" (95 % interval {float(ci[0]):.3f}–{float(ci[1]):.3f})"
    verdict = (
        "The sources are comparable: the unlabelled rows may serve as PU learning's unlabelled set."
        if comparable
        else "The sources are separable: the unlabelled rows are not comparable with the "
        "labelled ones, and a model trained on both learns the source."
    )
    parts = [
        "<h2>Adversarial validation of the unlabelled source</h2>",
        f"<p{'' if comparable else ' class=warn'}>A classifier told to separate the labelled "
        f"rows from the unlabelled source reaches AUC {float(auc_v):.3f}{ci_txt}. "
        f"{html.escape(verdict)}</p>",
    ]
    if top:
        df = pd.DataFrame(
            [(str(t[0]), float(t[1])) for t in top], columns=["feature", "importance or AUC"]
        )
        parts.append("<p>Features that give the source away:</p>" + _table(df))
    return "\n".join(parts)


def report_html(
    evaluations: Sequence[Evaluation],
    *,
    title: str,
    data_note: str = "",
    adversarial: Any = None,
) -> str:
    """A self-contained HTML report comparing ``evaluations`` (plots as embedded PNG).

    Parameters
    ----------
    evaluations : sequence of Evaluation
        Evaluated on the same labelled table (its label statement is taken from the first).
    title : str
    data_note : str, default ""
        Where the data came from.
    adversarial : object or mapping, optional
        Adversarial validation of an unlabelled source (:func:`adversarial_html`); by
        default the first evaluation's ``adversarial``, if any.

    Returns
    -------
    str
        The HTML page.
    """
    keys = [
        "recall_at_share",
        "max_recall_at_share",
        "share_flagged",
        "modified_f1",
        "recall_at_98_specificity",
        "recall_at_98_specificity_ci_low",
        "recall_at_98_specificity_ci_high",
        "recall_at_share_fold_min",
        "recall_at_98_specificity_fold_min",
        "recall_planted_at_share",
        "ece",
        "ece_fold_max",
        "ece_in_sample",
        "known_vs_possible_auc",
        "non_offender_fleet_auc",
        "estimated_positive_share",
        "possible_offenders_flagged",
    ]
    comp = pd.DataFrame(
        [
            {"model": e.name, **{k: e.metrics.get(k, float("nan")) for k in keys}}
            for e in evaluations
        ]
    )
    parts = [
        f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em;max-width:1200px}"
        ".t td,.t th{padding:2px 8px;text-align:right}.warn{background:#fee;padding:.5em;"
        "border-left:4px solid #c00}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p>A risk score is evidence to check, never proof of forced labour. Recall is on "
        "known offenders out of fold; negatives are known non-offenders only where stated.</p>",
        f"<p>{html.escape(data_note)}</p>" if data_note else "",
    ]
    support = evaluations[0].label_support if evaluations else []
    if support:
        parts.append("<h2>What the labels can and cannot support</h2>")
        parts.append("<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in support) + "</ul>")
    if adversarial is None and evaluations:
        adversarial = evaluations[0].adversarial
    parts.append(adversarial_html(adversarial))
    parts += [
        "<h2>Comparison</h2>",
        "<p>Recall at 98 % specificity with its 95 % interval (bootstrap over vessels); "
        "ECE on the held-out folds pooled, the worst fold, and in sample (the final model "
        "on its own training rows, for contrast).</p>",
        _table(comp),
    ]
    for e in evaluations:
        parts.append(f"<h2>{html.escape(e.name)}</h2>")
        parts.append(
            f"<p>Grouped by {html.escape(e.group_by)}; flagged share {e.flagged_share:.0%} "
            f"of all vessel-years; {len(e.features)} features: "
            f"{html.escape(', '.join(e.features))}.</p>"
        )
        for n in e.notes:
            parts.append(f"<p class='warn'>Warning: {html.escape(n)}</p>")
        parts.append(_plots(e))
        parts.append("<h3>Per fold (held out)</h3>" + _table(e.folds))
        parts.append(_stand_in_html(e))
        if len(e.breakdown):
            parts.append(
                "<h3>Results by gear and flag</h3><p>Recall of known offenders at the "
                "flagged share and at 98 % specificity (threshold set on all known "
                "non-offenders), and the share of each level's known non-offenders "
                "flagged at that threshold.</p>" + _table(e.breakdown)
            )
        parts.append(
            "<h3>Single-feature AUCs (confounding check)</h3><p>Known offenders against "
            "known non-offenders, one column alone; a warning at max(AUC, 1 − AUC) ≥ 0.8, "
            "separating at ≥ 0.99.</p>"
        )
        parts.append(_table(e.confounders.head(15)))
    parts.append("</body></html>")
    return "\n".join(parts)
