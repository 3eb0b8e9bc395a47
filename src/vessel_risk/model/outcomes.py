"""Inspection outcomes become labels for the next training run.

An outcome file has one row per inspection: the vessel, as ``vessel_id`` (GFW's vessel
identity, as in the labelled table and ``vessel_features.parquet``) or ``mmsi``
(9-character string), ``date`` (ISO 8601, UTC), ``outcome`` (``confirmed``, ``not_found``
or ``not_inspected``) and ``source`` (who reports it). :func:`labels_from_outcomes` turns
it into the label columns of the vessel-year feature table, for the vessel-year of the
inspection date, matching on ``vessel_id`` when both tables have it, else on ``mmsi``
(:func:`outcome_key`); GFW's labelled table has ``vessel_id`` only:

* ``confirmed`` makes the vessel-year a known offender, with ``source_id`` = source;
* ``not_found`` makes it a known non-offender, unless it is also confirmed (an
  inspection that finds nothing is weaker evidence than one that finds forced labour);
* ``not_inspected`` changes nothing.
"""

from __future__ import annotations

import pandas as pd

OUTCOMES = ("confirmed", "not_found", "not_inspected")

KEYS = ("vessel_id", "mmsi")
"""Columns that can name the vessel of an outcome, in order of preference."""


def outcome_key(features: pd.DataFrame, outcomes: pd.DataFrame) -> str:
    """The column outcomes are matched on: the first of :data:`KEYS` both tables have.

    Raises
    ------
    ValueError
        If the outcomes name no vessel, or only by a column the features lack.
    """
    for key in KEYS:
        if key in outcomes.columns and key in features.columns:
            return key
    have = [k for k in KEYS if k in outcomes.columns]
    if not have:
        raise ValueError(
            "The 'outcomes' parameter of labels_from_outcomes must name the vessel in a "
            f"'vessel_id' or an 'mmsi' column. Got {sorted(outcomes.columns)} instead."
        )
    raise ValueError(
        f"The outcomes name vessels by {' or '.join(have)}, which the vessel-year features "
        f"lack (they have {[k for k in KEYS if k in features.columns] or 'neither'}): "
        "key the outcomes by the features' column (GFW's labelled table has vessel_id only)."
    )


def _keys(frame: pd.DataFrame, key: str, years: pd.Series) -> pd.Series:
    ids = frame[key].astype("string")
    if key == "mmsi":
        ids = ids.str.zfill(9)
    return ids + "|" + years.astype("Int64").astype("string")


def unmatched_outcomes(features: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Outcome rows (``confirmed`` or ``not_found``) whose vessel-year the features lack.

    They change no label; the command line reports how many.

    Returns
    -------
    DataFrame : the unmatched rows of ``outcomes``.
    """
    key = outcome_key(features, outcomes)
    years = pd.to_datetime(outcomes["date"], utc=True, format="ISO8601").dt.year
    okey = _keys(outcomes, key, years)
    fkey = set(_keys(features, key, features["year"]).dropna())
    acting = outcomes["outcome"].isin(["confirmed", "not_found"])
    return outcomes.loc[acting & ~okey.isin(fkey)]


def labels_from_outcomes(features: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Vessel-year features with label columns set from inspection outcomes.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features with ``year`` and ``vessel_id`` or ``mmsi``; existing
        ``known_offender``, ``known_non_offender``, ``possible_offender`` and
        ``source_id`` are kept and updated.
    outcomes : DataFrame of shape (m, 4)
        ``vessel_id`` or ``mmsi``, ``date``, ``outcome``, ``source``.

    Returns
    -------
    DataFrame of shape (n, k') : a new frame; ``features`` is not modified.

    Raises
    ------
    ValueError
        If a column is missing, the vessel key is not in both tables (:func:`outcome_key`),
        a date is not ISO 8601 or an outcome is not one of :data:`OUTCOMES`.
    """
    need = {"date", "outcome", "source"}
    if not need <= set(outcomes.columns):
        raise ValueError(
            "The 'outcomes' parameter of labels_from_outcomes must have the columns "
            f"{sorted(need)} and 'vessel_id' or 'mmsi'. Got {sorted(outcomes.columns)} instead."
        )
    if "year" not in features.columns:
        raise ValueError(
            "The 'features' parameter of labels_from_outcomes must have a 'year' column. "
            f"Got {sorted(map(str, features.columns))[:20]} instead."
        )
    key_col = outcome_key(features, outcomes)
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
    try:
        years = pd.to_datetime(outcomes["date"], utc=True, format="ISO8601").dt.year
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"The 'date' column of the outcomes must hold ISO 8601 dates: {exc}"
        ) from exc
    o = outcomes
    key = _keys(out, key_col, out["year"]).fillna("")
    okey = _keys(o, key_col, years)
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
