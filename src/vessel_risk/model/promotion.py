"""The registry's guard: when a registered model may become the champion.

:func:`judge` compares a version's registered evaluation with the indicator baseline's
(measured on the same rows and folds at training) and the current champion's, on
:data:`PRIMARY_METRIC`, and checks that its recall is not zero. It reads metrics only
(plain dicts), so :func:`vessel_risk.model.registry.promote` fetches them from MLflow and
this module decides. The rule is documented in ``docs/model.md`` ("The registry's guard").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PRIMARY_METRIC = "recall_at_98_specificity"
"""The registered evaluation's primary metric, the one the guard compares: recall of known
offenders, out of fold, at the score that at most 2 % of known non-offenders exceed (Joo et
al. 2023: 0.889), with its 95 % interval by bootstrap over vessels
(``recall_at_98_specificity_ci_low`` / ``_ci_high``)."""

BASELINE_PREFIX = "baseline_"
"""Metrics of the indicator baseline on the same rows and folds, logged with each training
run under this prefix (``baseline_recall_at_98_specificity``)."""

NAN = float("nan")


@dataclass
class GuardCheck:
    """One check of :func:`judge`: what was compared and whether it passed."""

    name: str
    passed: bool
    detail: str


@dataclass
class PromotionGuard:
    """The guard's verdict on promoting one version.

    Attributes
    ----------
    version : str
    metric : str
        :data:`PRIMARY_METRIC`.
    value : float
        The version's value of it, in [0, 1] (NaN when not measured).
    ci : tuple of float
        Its 95 % interval (bootstrap over vessels); (NaN, NaN) when not logged.
    checks : list of GuardCheck
    """

    version: str
    metric: str
    value: float
    ci: tuple[float, float]
    checks: list[GuardCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def refusals(self) -> list[str]:
        """The details of the failed checks."""
        return [c.detail for c in self.checks if not c.passed]


class PromotionRefused(Exception):
    """The guard refuses a promotion; ``guard`` says why. ``force`` with a reason overrides."""

    def __init__(self, guard: PromotionGuard) -> None:
        self.guard = guard
        super().__init__(
            f"Version {guard.version} is not promoted: "
            + " ".join(guard.refusals)
            + " Promote it anyway only with --force and a --reason, which is recorded."
        )


def _fmt(v: float) -> str:
    return "not measured" if v != v else f"{v:.3f}"


def judge(
    version: str,
    metrics: Mapping[str, float],
    *,
    champion: str | None = None,
    champion_metrics: Mapping[str, float] | None = None,
    same_data: bool = True,
) -> PromotionGuard:
    """Check a version against zero recall, the indicator baseline and the champion.

    On the registered evaluation's :data:`PRIMARY_METRIC` (out of fold, on the labelled
    table the version was trained on):

    * it must have been measured (it needs known non-offenders) and be above 0: a model
      that ranks no known offender above the known non-offenders is refused (without
      known non-offenders, zero recall at the flagged share is refused too);
    * it must not be below the indicator baseline's value on the same rows and folds
      (``baseline_recall_at_98_specificity``, logged at training);
    * it must not be below the champion's registered value, when another version is
      champion (the detail says when the two were trained on different data).

    A shortfall inside the version's 95 % interval is refused too: the detail says it may
    be noise, for a person to judge and override with ``--force --reason``.

    Parameters
    ----------
    version : str
    metrics : mapping of str to float
        The version's logged metrics (with the ``baseline_`` ones).
    champion : str, optional
        The champion's version, when there is one other than ``version``.
    champion_metrics : mapping, optional
        The champion's logged metrics.
    same_data : bool, default True
        Whether the champion was trained on the same data (same fingerprint).

    Returns
    -------
    PromotionGuard
    """
    value = float(metrics.get(PRIMARY_METRIC, NAN))
    ci = (
        float(metrics.get(f"{PRIMARY_METRIC}_ci_low", NAN)),
        float(metrics.get(f"{PRIMARY_METRIC}_ci_high", NAN)),
    )
    ci_txt = "" if ci[0] != ci[0] else f" (95 % interval {ci[0]:.3f}-{ci[1]:.3f})"
    guard = PromotionGuard(version, PRIMARY_METRIC, value, ci)
    if value != value:
        guard.checks.append(
            GuardCheck(
                "measured",
                False,
                f"{PRIMARY_METRIC} was not measured by its evaluation (are there known "
                "non-offenders among its labels?), so it cannot be compared.",
            )
        )
    share_recall = float(metrics.get("recall_at_share", NAN))
    # Recall at the flagged share can be 0 from ties alone (more than the share tied at
    # the top, as a small random forest gives), so it counts only without the primary.
    zero = value == 0 or (value != value and share_recall == 0)
    guard.checks.append(
        GuardCheck(
            "recall above zero",
            not zero,
            f"{PRIMARY_METRIC} {_fmt(value)}, recall at the flagged share {_fmt(share_recall)}"
            + (": zero recall, it finds no known offender." if zero else "."),
        )
    )

    def compare(name: str, ref: float, note: str = "") -> None:
        if ref != ref:
            guard.checks.append(
                GuardCheck(
                    name,
                    False,
                    f"The {name}'s {PRIMARY_METRIC} is not logged with version {version}'s "
                    "evaluation (registered before the guard?): retrain it.",
                )
            )
            return
        worse = value != value or value < ref
        noise = worse and ci[1] == ci[1] and ci[1] >= ref
        verdict = ": not worse."
        if worse:
            verdict = (
                ": worse (the difference lies within the 95 % interval, so it may be noise)."
                if noise
                else ": worse."
            )
        guard.checks.append(
            GuardCheck(
                name,
                not worse,
                f"{PRIMARY_METRIC} {_fmt(value)}{ci_txt} against the {name}'s "
                f"{ref:.3f}{note}{verdict}",
            )
        )

    compare("indicator baseline", float(metrics.get(BASELINE_PREFIX + PRIMARY_METRIC, NAN)))
    if champion is not None and champion != version:
        compare(
            f"champion (version {champion})",
            float((champion_metrics or {}).get(PRIMARY_METRIC, NAN)),
            "" if same_data else ", measured on other data",
        )
    return guard
