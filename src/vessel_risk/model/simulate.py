"""A SYNTHETIC fleet of vessel-year features with planted risk, for tests and benchmarks.

Nothing here is real data. :func:`simulate_fleet` draws vessel-years whose features
carry the names of ``vessel_features.parquet`` (and GFW's table); a share of vessels
gets planted risk behaviours (long trips, few voyages, work far from port, AIS gaps far
from shore, long fishing days), each planted vessel at least two of them. Some ordinary
distant-water vessels show one behaviour too (Blaha 2020: these features also describe
ordinary distant-water fishing), so the task is not trivially separable. Only a share of
the planted vessels is labelled (``known_offender``), as in real PU data; the tests know
the truth (``planted_risk``) and can assert that models recover it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BEHAVIOURS = ("long_trips", "far_from_port", "gaps_offshore", "long_fishing_days")


def simulate_fleet(
    n_vessels: int = 500,
    *,
    years: tuple[int, ...] = (2020, 2021, 2022),
    positive_share: float = 0.1,
    labelled_share: float = 0.5,
    n_sources: int = 10,
    non_offender_share: float = 0.1,
    n_noise_features: int = 0,
    random_state: int | None = None,
) -> pd.DataFrame:
    """Simulate vessel-year features of a clearly synthetic fleet with planted risk.

    Parameters
    ----------
    n_vessels : int, default 500
    years : tuple of int
        One row per vessel and year.
    positive_share : float, default 0.1
        Share of vessels with planted risk (in every year).
    labelled_share : float, default 0.5
        Share of planted vessels labelled ``known_offender`` (their every year).
    n_sources : int, default 10
        Labelled vessels are spread over this many report sources (``source_id``).
    non_offender_share : float, default 0.1
        Share of clean vessels labelled ``known_non_offender``.
    n_noise_features : int, default 0
        Extra uninformative columns ``noise_0`` ... (to reach a benchmark's width).
    random_state : int or None

    Returns
    -------
    DataFrame of shape (n_vessels * len(years), 21 + n_noise_features) with
    ``vessel_id``, ``mmsi``, ``year``, the feature columns, ``planted_risk`` (truth),
    ``n_behaviours``, ``known_offender``, ``known_non_offender``, ``possible_offender``
    (always 0) and ``source_id`` (-1 where unlabelled).
    """
    rng = np.random.default_rng(random_state)
    n_pos = int(round(positive_share * n_vessels))
    planted = np.zeros(n_vessels, dtype=bool)
    planted[rng.choice(n_vessels, n_pos, replace=False)] = True
    # Planted vessels: 2-4 behaviours; clean distant-water vessels (30 %): one behaviour.
    behaviour = np.zeros((n_vessels, len(BEHAVIOURS)), dtype=bool)
    for v in range(n_vessels):
        if planted[v]:
            k = int(rng.integers(2, len(BEHAVIOURS) + 1))
        else:
            k = 1 if rng.random() < 0.3 else 0
        behaviour[v, rng.choice(len(BEHAVIOURS), k, replace=False)] = True
    labelled = planted & (rng.random(n_vessels) < labelled_share)
    if n_pos and not labelled.any():
        labelled[np.flatnonzero(planted)[0]] = True
    non_off = ~planted & (rng.random(n_vessels) < non_offender_share)
    source = np.where(labelled, rng.integers(0, n_sources, n_vessels), -1)
    engine_kw = rng.lognormal(6.0, 0.6, n_vessels)

    rows = []
    for y in years:
        n = n_vessels
        b = behaviour
        long_trips, far, gaps, fishing = (b[:, i] for i in range(4))
        voyages = np.where(long_trips, rng.poisson(1.5, n), rng.poisson(12, n)) + 1
        hours = rng.uniform(2000, 8000, n)
        avg_voy_h = np.where(
            long_trips, rng.uniform(2500, 7000, n), rng.gamma(3.0, 60.0, n)
        ) * rng.lognormal(0, 0.2, n)
        max_port = np.where(far, rng.uniform(900, 3000, n), rng.gamma(2.0, 120.0, n))
        max_shore = max_port * rng.uniform(0.5, 0.95, n)
        gaps_n = np.where(gaps, rng.poisson(14, n), rng.poisson(2, n))
        gaps_off = np.minimum(gaps_n, np.where(gaps, rng.poisson(10, n), rng.poisson(0.5, n)))
        fish_h_day = np.where(fishing, rng.uniform(13, 20, n), rng.uniform(3, 12, n))
        fish_days = rng.uniform(50, 250, n)
        has_gap = gaps_n > 0
        frame = pd.DataFrame(
            {
                "vessel_id": [f"SIM{v:06d}" for v in range(n)],
                "mmsi": [f"9{v:08d}"[-9:] for v in range(n)],
                "year": y,
                "position_messages": rng.integers(500, 20000, n),
                "hours": hours,
                "fishing_hours": fish_h_day * fish_days,
                "average_daily_fishing_hours": fish_h_day,
                "distance_traveled_km": rng.uniform(5000, 60000, n),
                "max_distance_from_shore_km": max_shore,
                "max_distance_from_port_km": max_port,
                "number_voyages": voyages,
                "average_voyage_duration_hours": avg_voy_h,
                "number_foreign_port_visits": rng.poisson(2, n).astype(float),
                "gaps_12_hours": gaps_n,
                "gaps_12_hours_offshore": gaps_off,
                "average_gap_days": np.where(has_gap, rng.gamma(2.0, 0.8, n), np.nan),
                "average_gap_km": np.where(has_gap, rng.gamma(2.0, 60.0, n), np.nan),
                "average_off_distance_from_shore_km": np.where(
                    has_gap, np.where(gaps, rng.uniform(100, 800, n), rng.gamma(2, 40, n)), np.nan
                ),
                "engine_power_kw": engine_kw,
                # Behaviour-event columns of the pipeline, uninformative here.
                "fishing_hours_high_seas": fish_h_day * fish_days * rng.uniform(0, 1, n),
                "number_encounters": rng.poisson(1.0, n),
                "average_encounter_duration_hours": rng.gamma(2.0, 2.0, n),
                "number_poc_port_visits": rng.poisson(0.5, n).astype(float),
                "number_loitering_events": rng.poisson(5.0, n),
                "average_loitering_duration_hours": rng.gamma(2.0, 3.0, n),
            }
        )
        for j in range(n_noise_features):
            frame[f"noise_{j}"] = rng.normal(size=n)
        frame["planted_risk"] = planted.astype(int)
        frame["n_behaviours"] = behaviour.sum(axis=1)
        frame["known_offender"] = labelled.astype(int)
        frame["known_non_offender"] = non_off.astype(int)
        frame["possible_offender"] = 0
        frame["source_id"] = source
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)
