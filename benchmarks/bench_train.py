"""Benchmark of model training: PU-bagging LightGBM against the bagged random-forest recipe.

On a clearly synthetic fleet (:func:`vessel_risk.model.simulate.simulate_fleet`, one year,
``--rows`` vessel-years, 16 features plus uninformative noise columns up to
``--features``), both models are fitted with the same bags on the same rows, single
core by default. Measured per model: wall seconds of ``fit`` (which includes the
out-of-bag scoring of the unlabelled rows and the Elkan–Noto cross-fit), seconds to
score the hold-out, and recall on planted positives in a hold-out of 20 % of the vessels
when 20 % of the hold-out is flagged. Results go to a table on stdout and to
``<out>/bench_train.json``.

Usage::

    .venv/bin/python benchmarks/bench_train.py                 # 100k x 30, both models
    .venv/bin/python benchmarks/bench_train.py --rows 20000 --n-jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from vessel_risk.model import BaggedRandomForestClassifier, PULightGBMClassifier, candidate_features
from vessel_risk.model.evaluate import threshold_at_share
from vessel_risk.model.simulate import simulate_fleet

BENCH_DIR = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000, help="vessel-years (default 100k)")
    ap.add_argument("--features", type=int, default=30, help="feature columns (default 30)")
    ap.add_argument("--n-bags", type=int, default=10)
    ap.add_argument(
        "--n-estimators",
        type=int,
        default=None,
        help="trees per bag for both models (default: each model's own, 80 and 200)",
    )
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--models", default="pu-lightgbm,bagged-rf")
    ap.add_argument("--out", type=Path, default=BENCH_DIR / "results")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    base = simulate_fleet(1, years=(2022,), random_state=args.seed)
    n_informative = len(candidate_features(base))
    fleet = simulate_fleet(
        args.rows,
        years=(2022,),
        positive_share=0.05,
        labelled_share=0.5,
        n_noise_features=max(0, args.features - n_informative),
        random_state=args.seed,
    )
    feats = candidate_features(fleet)
    sim_s = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)
    holdout = rng.random(len(fleet)) < 0.2
    train, test = fleet.loc[~holdout], fleet.loc[holdout]
    print(
        f"synthetic fleet: {len(fleet):,} vessel-years x {len(feats)} features "
        f"({int(train['known_offender'].sum()):,} labelled positives in training; "
        f"built in {sim_s:.1f} s); hold-out {len(test):,} rows"
    )
    trees = {} if args.n_estimators is None else {"n_estimators": args.n_estimators}
    makers = {
        "pu-lightgbm": lambda: PULightGBMClassifier(
            n_bags=args.n_bags, random_state=args.seed, n_jobs=args.n_jobs, **trees
        ),
        "bagged-rf": lambda: BaggedRandomForestClassifier(
            n_bags=args.n_bags, random_state=args.seed, n_jobs=args.n_jobs, **trees
        ),
    }
    results = []
    for name in args.models.split(","):
        model = makers[name]()
        t = time.perf_counter()
        model.fit(train[feats], train["known_offender"].to_numpy())
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        score = model.decision_function(test[feats])
        score_s = time.perf_counter() - t
        thr = threshold_at_share(score, 0.2)
        truth = test["planted_risk"].to_numpy() == 1
        recall = float(np.mean(score[truth] > thr))
        results.append(
            {
                "model": name,
                "fit_s": round(fit_s, 2),
                "score_holdout_s": round(score_s, 2),
                "recall_planted_at_20pct_flagged": round(recall, 4),
                "share_flagged": round(float(np.mean(score > thr)), 4),
                "estimated_positive_share": round(model.positive_share_, 4),
            }
        )
        print(
            f"{name:12s} fit {fit_s:7.2f} s   score hold-out {score_s:6.2f} s   "
            f"recall (planted, 20 % flagged) {recall:.3f}"
        )
    if len(results) == 2:
        ratio = results[1]["fit_s"] / max(results[0]["fit_s"], 1e-9)
        print(f"bagged-rf / pu-lightgbm fit time: {ratio:.1f}x")
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "rows": len(fleet),
        "features": len(feats),
        "n_bags": args.n_bags,
        "n_estimators": args.n_estimators,
        "n_jobs": args.n_jobs,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    (args.out / "bench_train.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2)
    )
    print(f"wrote {args.out / 'bench_train.json'}")


if __name__ == "__main__":
    main()
