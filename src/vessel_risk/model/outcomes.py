"""Inspection outcomes become labels for the next training run.

An outcome file has one row per inspection: ``mmsi`` (9-character string), ``date``
(ISO 8601, UTC), ``outcome`` (``confirmed``, ``not_found`` or ``not_inspected``) and ``source`` (who
reports it). :func:`labels_from_outcomes` turns it into the label columns of the
vessel-year feature table, for the vessel-year of the inspection date:

* ``confirmed`` makes the vessel-year a known offender, with ``source_id`` = source;
* ``not_found`` makes it a known non-offender, unless it is also confirmed (an
  inspection that finds nothing is weaker evidence than one that finds forced labour);
* ``not_inspected`` changes nothing.
"""

from __future__ import annotations

import pandas as pd

OUTCOMES = ("confirmed", "not_found", "not_inspected")


def labels_from_outcomes(features: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Vessel-year features with label columns set from inspection outcomes.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features with ``mmsi`` and ``year``; existing ``known_offender``,
        ``known_non_offender``, ``possible_offender`` and ``source_id`` are kept and
        updated.
    outcomes : DataFrame of shape (m, 4)
        ``mmsi``, ``date``, ``outcome``, ``source``.

    Returns
    -------
    DataFrame of shape (n, k') : a new frame; ``features`` is not modified.

    Raises
    ------
    ValueError
        If a column is missing or an outcome is not one of :data:`OUTCOMES`.
    """
    need = {"mmsi", "date", "outcome", "source"}
    if not need <= set(outcomes.columns):
        raise ValueError(
            "The 'outcomes' parameter of labels_from_outcomes must have the columns "
            f"{sorted(need)}. Got {sorted(outcomes.columns)} instead."
        )
    bad = sorted(set(outcomes["outcome"]) - set(OUTCOMES))
    if bad:
        raise ValueError(
            f"The 'outcome' column must hold only {', '.join(OUTCOMES)}. Got {bad} instead."
        )
    out = features.copy()
    for col, default in (
        ("known_offender", 0),
        ("known_non_offender", 0),
        ("possible_offender", 0),
        ("source_id", -1),
    ):
        if col not in out.columns:
            out[col] = default
    # Sources are names in outcome files and numbers in GFW's table: keep both.
    out["source_id"] = out["source_id"].astype(object)
    o = outcomes.assign(
        mmsi=outcomes["mmsi"].astype(str).str.zfill(9),
        year=pd.to_datetime(outcomes["date"], utc=True, format="ISO8601").dt.year,
    )
    key = out["mmsi"].astype(str) + "|" + out["year"].astype(str)
    okey = o["mmsi"] + "|" + o["year"].astype(str)
    confirmed = o.loc[o["outcome"] == "confirmed"]
    conf_src = dict(zip(okey[confirmed.index], confirmed["source"], strict=True))
    not_found = set(okey[o["outcome"] == "not_found"])
    is_conf = key.isin(list(conf_src))
    out.loc[is_conf, "known_offender"] = 1
    out.loc[is_conf, "known_non_offender"] = 0
    out.loc[is_conf, "source_id"] = key[is_conf].map(conf_src)
    is_nf = key.isin(list(not_found)) & ~is_conf & (out["known_offender"] != 1)
    out.loc[is_nf, "known_non_offender"] = 1
    return out
