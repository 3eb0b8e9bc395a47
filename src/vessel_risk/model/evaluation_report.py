"""The HTML report of model evaluations: a comparison table, plots and per-model detail.

:func:`report_html` renders one or more :class:`~vessel_risk.model.evaluate.Evaluation`
results as a self-contained page (plots embedded as PNG): the comparison of metrics, then
for each model its warnings (confounding), out-of-fold score distribution by label,
calibration curve, feature importance, per-fold metrics, recall by gear and flag, and the
single-feature separation table. The training run logs it to the model registry and
``vessel-risk evaluate`` writes it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
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


def report_html(evaluations: Sequence[Evaluation], *, title: str, data_note: str = "") -> str:
    """A self-contained HTML report comparing ``evaluations`` (plots as embedded PNG)."""
    keys = [
        "recall_at_share",
        "max_recall_at_share",
        "share_flagged",
        "modified_f1",
        "recall_at_98_specificity",
        "recall_at_share_fold_min",
        "recall_at_98_specificity_fold_min",
        "recall_planted_at_share",
        "ece",
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
        "<h2>Comparison</h2>",
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
        parts.append("<h3>Per fold</h3>" + _table(e.folds))
        if len(e.breakdown):
            parts.append("<h3>Recall by gear and flag</h3>" + _table(e.breakdown))
        parts.append("<h3>Single-feature separation (confounding check)</h3>")
        parts.append(_table(e.confounders.head(10)))
    parts.append("</body></html>")
    return "\n".join(parts)
