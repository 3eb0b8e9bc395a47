"""Vessel-year features, named as in Global Fishing Watch's forced-labour table.

Column definitions and sources are in ``docs/features.md``. Each vessel-year is keyed
by ``mmsi`` and the UTC calendar ``year``; events (voyages, port visits, gaps) belong
to the year they start in.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from vessel_risk.fishing import FISHING_SOURCES, SOURCE_NNET
from vessel_risk.gaps import GAP_HOURS, OFFSHORE_KM
from vessel_risk.identity import (
    flag_iso3,
    identity_history,
    mmsi_valid,
    normalize_mmsi,
    normalize_name,
)
from vessel_risk.schemas import VesselFeatureSchema
from vessel_risk.tracks import same_vessel_as_previous

HIGH_SEAS_KM = 200 * 1.852
"""200 nm in km: the outer limit of every EEZ (UNCLOS Art. 57)."""
FISHING_SCORE_THRESHOLD = 0.5
"""A position is fishing when GFW's ``nnet_score`` exceeds 0.5 (Kroodsma et al. 2018)."""


def position_hours(positions: pd.DataFrame, *, max_hours: float = GAP_HOURS) -> np.ndarray:
    """Hours each position stands for: the time to the vessel's next message,
    or 0 when that is an AIS gap (``max_hours`` or more) or there is none.

    Parameters
    ----------
    positions : DataFrame sorted by ``mmsi``, ``timestamp``.
    max_hours : float, default 12

    Returns
    -------
    ndarray of shape (n,), hours.
    """
    ts = positions["timestamp"]
    nxt = (ts.shift(-1) - ts).dt.total_seconds().to_numpy() / 3600.0
    same_next = np.append(same_vessel_as_previous(positions["mmsi"])[1:], False)
    h = np.where(same_next & (nxt < max_hours), nxt, 0.0)
    return np.nan_to_num(h, nan=0.0)


def _year(ts: pd.Series) -> pd.Series:
    return ts.dt.year.astype("int64")


def _per_year(frame: pd.DataFrame, ts_col: str) -> pd.core.groupby.DataFrameGroupBy:  # type: ignore[name-defined]
    return frame.assign(year=_year(frame[ts_col])).groupby(["mmsi", "year"])


def iuu_matches(
    identity: pd.DataFrame, iuu_keys: pd.DataFrame | None, *, mmsis: npt.ArrayLike = ()
) -> pd.Series:
    """The IUU-list entry each MMSI matches, by MMSI, IMO or normalised name.

    Parameters
    ----------
    identity : DataFrame
        ``mmsi``, ``field`` (shipname, callsign, imo, ...), ``value`` from
        :func:`vessel_risk.identity.identity_history`.
    iuu_keys : DataFrame or None
        From :func:`vessel_risk.identity.load_iuu_list`.
    mmsis : array-like, optional
        MMSIs to match by MMSI as well, such as those seen only in position reports.

    Returns
    -------
    Series indexed by ``mmsi``: a description such as ``"name LURONGYUANYU197
    broadcast 2021–2022 (listed as LU RONG YUAN YU 197; NPFC)"``; only matching MMSIs
    appear. The match holds for every year of the MMSI; the years say when the
    matching name or IMO number was broadcast.
    """
    if iuu_keys is None or iuu_keys.empty:
        return pd.Series(dtype="string")
    ident = identity[identity["field"].isin(["shipname", "imo"])].copy()
    ident["key_type"] = ident["field"].map({"shipname": "name", "imo": "imo"})
    ident["key"] = np.where(
        ident["key_type"] == "name",
        normalize_name(ident["value"]),
        ident["value"].astype("string").str.replace(r"\D", "", regex=True),
    )
    all_mmsi = pd.unique(
        np.concatenate([identity["mmsi"].to_numpy(dtype=object), np.asarray(mmsis, dtype=object)])
    )
    by_mmsi = pd.DataFrame({"mmsi": all_mmsi, "key_type": "mmsi", "key": all_mmsi})
    cols = ["mmsi", "key_type", "key", "first_seen", "last_seen"]
    cand = pd.concat([ident.reindex(columns=cols), by_mmsi.reindex(columns=cols)])
    cand = cand.reset_index(drop=True)
    cand = cand.dropna(subset=["key"])
    cand = cand[cand["key"].astype(str).str.len() > 0]
    hits = cand.merge(iuu_keys, on=["key_type", "key"], how="inner")
    if hits.empty:
        return pd.Series(dtype="string")
    # The match is per MMSI; say when the matching name or IMO was broadcast, since a
    # shared MMSI's other years may be another hull.
    first = pd.to_datetime(hits["first_seen"], utc=True).dt.year.astype("Int64").astype("string")
    last = pd.to_datetime(hits["last_seen"], utc=True).dt.year.astype("Int64").astype("string")
    years = first.where(first == last, first + "–" + last)
    span = (" broadcast in " + years).fillna("")
    text = (
        hits["key_type"]
        + " "
        + hits["key"].astype(str)
        + span
        + " (listed as "
        + hits["listed_as"].astype(str)
        + "; "
        + hits["listing"].fillna("").astype(str)
        + ")"
    )
    return text.groupby(hits["mmsi"]).agg(lambda s: " | ".join(sorted(set(s)))).astype("string")


def vessel_year_features(
    positions: pd.DataFrame,
    visits: pd.DataFrame,
    voyages: pd.DataFrame,
    gaps: pd.DataFrame,
    identity_reports: pd.DataFrame,
    *,
    encounters: pd.DataFrame | None = None,
    loitering: pd.DataFrame | None = None,
    iuu_keys: pd.DataFrame | None = None,
    psma_parties: pd.DataFrame | None = None,
    transmitters: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row of features per vessel-year with at least one position.

    Parameters
    ----------
    positions : DataFrame
        Cleaned positions sorted by ``mmsi``, ``timestamp`` with
        ``distance_from_shore_km``, ``distance_from_port_km``, ``segment_km`` and
        optionally ``nnet_score``.
    visits, voyages, gaps : DataFrame
        Events from :mod:`port_visits`, :mod:`voyages`, :mod:`gaps`.
    identity_reports : DataFrame
        Every report that carries identity: ``mmsi``, ``timestamp``, ``shipname``,
        ``callsign``, ``imo``, ``shiptype`` (static reports and position reports).
    encounters, loitering : DataFrame, optional
        From :func:`vessel_risk.encounters.detect_encounters` and
        :func:`vessel_risk.loitering.detect_loitering`; absent means none found.
    iuu_keys : DataFrame, optional
        From :func:`vessel_risk.identity.load_iuu_list`.
    psma_parties : DataFrame, optional
        From :func:`vessel_risk.reference.read_psma_parties`; without it
        ``number_poc_port_visits`` is null (unknown).
    transmitters : DataFrame, optional
        From :func:`vessel_risk.transmitters.simultaneous_transmitters`
        (``mmsi``, ``year``, ``max_simultaneous_transmitters``); vessel-years absent
        from it, or all when it is None, get 1.

    Notes
    -----
    Fishing hours come from ``fishing_score`` and ``fishing_source`` when the
    positions carry them (:func:`vessel_risk.fishing.fishing_scores`, run by the
    pipeline); without them, from GFW's ``nnet_score`` only, null where absent.

    Returns
    -------
    DataFrame validated against :class:`~vessel_risk.schemas.VesselFeatureSchema`,
    sorted by ``mmsi``, ``year``.
    """
    p = positions.copy()
    p["year"] = _year(p["timestamp"])
    p["hours"] = position_hours(p)
    if "fishing_score" not in p.columns:
        # Called without the pipeline's fishing stage: GFW's score or nothing.
        nnet = p["nnet_score"] if "nnet_score" in p.columns else pd.Series(np.nan, index=p.index)
        p["fishing_score"] = nnet.astype("float64")
        p["fishing_source"] = pd.Series(pd.NA, index=p.index, dtype="string")
        p.loc[nnet.notna(), "fishing_source"] = SOURCE_NNET
    has_score = p["fishing_score"].notna()
    fishing = has_score & (p["fishing_score"] > FISHING_SCORE_THRESHOLD)
    # The least certain source that scored any message of the year names the year's
    # fishing columns: an estimate must never read as GFW's own score.
    p["source_rank"] = (
        p["fishing_source"].map({s: i for i, s in enumerate(FISHING_SOURCES)}).astype("float64")
    )
    p["fishing_h"] = np.where(fishing, p["hours"], 0.0)
    # Beyond 200 nm from every coast is outside every EEZ (UNCLOS Art. 57): high seas.
    p["fishing_h_high_seas"] = np.where(
        p["distance_from_shore_km"] > HIGH_SEAS_KM, p["fishing_h"], 0.0
    )
    p["scored"] = has_score
    p["date"] = p["timestamp"].dt.floor("D")
    # A fishing interval runs to the next message and may end the next day: both dates
    # count as fishing days, so the daily average never exceeds 24 h.
    fishing_interval = fishing & (p["hours"] > 0)
    interval_end = (p["timestamp"] + pd.to_timedelta(p["hours"], unit="h")).dt.floor("D")
    g = p.groupby(["mmsi", "year"], sort=True)
    f = g.agg(
        position_messages=("timestamp", "size"),
        hours=("hours", "sum"),
        fishing_hours=("fishing_h", "sum"),
        fishing_hours_high_seas=("fishing_h_high_seas", "sum"),
        scored=("scored", "any"),
        source_rank=("source_rank", "max"),
        distance_traveled_km=("segment_km", "sum"),
        max_distance_from_shore_km=("distance_from_shore_km", "max"),
        max_distance_from_port_km=("distance_from_port_km", "max"),
        days_observed=("date", "nunique"),
        first_timestamp=("timestamp", "min"),
        last_timestamp=("timestamp", "max"),
    )
    scored = f.pop("scored")
    rank = f.pop("source_rank")
    f["fishing_source"] = pd.array(
        [FISHING_SOURCES[int(r)] if r == r else None for r in rank], dtype="string"
    )
    if transmitters is not None and len(transmitters):
        f["max_simultaneous_transmitters"] = transmitters.set_index(["mmsi", "year"])[
            "max_simultaneous_transmitters"
        ]
    else:
        f["max_simultaneous_transmitters"] = np.nan
    f["fishing_hours"] = f["fishing_hours"].where(scored)
    f["fishing_hours_high_seas"] = f["fishing_hours_high_seas"].where(scored)
    fished = pd.concat(
        [
            p.loc[fishing_interval, ["mmsi", "year", "date"]],
            p.loc[fishing_interval, ["mmsi", "year"]].assign(date=interval_end[fishing_interval]),
        ]
    )
    fdays = fished.groupby(["mmsi", "year"])["date"].nunique().reindex(f.index, fill_value=0)
    f["average_daily_fishing_hours"] = (f["fishing_hours"] / fdays.where(fdays > 0)).where(
        f["fishing_hours"].notna()
    )
    f.loc[f["fishing_hours"] == 0, "average_daily_fishing_hours"] = 0.0
    f["positions_per_day"] = f["position_messages"] / f["days_observed"]
    located = p[p["lat"].notna()]
    last = located.groupby(["mmsi", "year"]).tail(1).set_index(["mmsi", "year"])
    f["last_lat"] = last["lat"]
    f["last_lon"] = last["lon"]

    vy = _per_year(voyages, "start")
    f["number_voyages"] = vy.size()
    f["average_voyage_duration_hours"] = vy["duration_h"].mean()
    f["max_voyage_duration_hours"] = vy["duration_h"].max()

    mmsi_index = f.index.get_level_values("mmsi").to_series(index=f.index)
    f["mmsi_valid"] = mmsi_valid(mmsi_index).to_numpy()
    f["flag_iso3"] = flag_iso3(mmsi_index).to_numpy()
    pv = visits.assign(year=_year(visits["start"]))
    flag_of = pd.Series(f["flag_iso3"].to_numpy(), index=mmsi_index.to_numpy())
    flag_of = flag_of[~flag_of.index.duplicated()]
    pv["foreign"] = pv["port_iso3"].astype("string") != pv["mmsi"].map(flag_of).astype("string")
    pvg = pv.groupby(["mmsi", "year"])
    f["number_port_visits"] = pvg.size()
    f["number_foreign_port_visits"] = pvg["foreign"].sum().astype("float64")
    f["number_foreign_port_visits"] = f["number_foreign_port_visits"].fillna(0.0)
    # Without a flag state, "foreign" cannot be judged.
    f.loc[f["flag_iso3"].isna(), "number_foreign_port_visits"] = np.nan
    if psma_parties is not None:
        since = pv["port_iso3"].map(psma_parties.set_index("iso3")["in_force_from"])
        pv["non_psma"] = pv["port_iso3"].notna() & ~(since.notna() & (pv["start"] >= since))
        counted = pv.groupby(["mmsi", "year"])["non_psma"].sum().astype("float64")
        f["number_poc_port_visits"] = counted.reindex(f.index).fillna(0.0)
    else:
        f["number_poc_port_visits"] = np.nan

    gap_flags = gaps.assign(
        disabling=gaps["gap_class"] == "likely_disabling",
        offshore=gaps["distance_from_shore_km"] >= OFFSHORE_KM,
    )
    gy = _per_year(gap_flags, "start")
    f["gaps_12_hours_all"] = gy.size()
    f["gaps_12_hours"] = gy["disabling"].sum()
    f["gaps_12_hours_offshore"] = gy["offshore"].sum()
    f["average_gap_days"] = gy["duration_h"].mean() / 24.0
    f["average_gap_km"] = gy["distance_km"].mean()
    f["average_off_distance_from_shore_km"] = gy["distance_from_shore_km"].mean()

    if encounters is not None and len(encounters):
        ey = _per_year(encounters, "start")
        f["number_encounters"] = ey.size()
        f["number_carrier_encounters"] = ey["other_is_carrier"].sum()
        f["average_encounter_duration_hours"] = ey["duration_h"].mean()
    else:
        f["number_encounters"] = 0
        f["number_carrier_encounters"] = 0
        f["average_encounter_duration_hours"] = np.nan
    if loitering is not None and len(loitering):
        ly = _per_year(loitering, "start")
        f["number_loitering_events"] = ly.size()
        f["average_loitering_duration_hours"] = ly["duration_h"].mean()
    else:
        f["number_loitering_events"] = 0
        f["average_loitering_duration_hours"] = np.nan

    reports = _per_year(identity_reports, "timestamp")
    f["n_shipnames"] = reports["shipname"].nunique()
    f["n_callsigns"] = reports["callsign"].nunique()
    identity = identity_history(identity_reports)
    names = identity[identity["field"] == "shipname"]
    main_name = (
        names.sort_values(["messages", "value"], ascending=[False, True], kind="stable")
        .drop_duplicates("mmsi")
        .set_index("mmsi")["value"]
    )
    f["shipname"] = mmsi_index.map(main_name).to_numpy()
    matches = iuu_matches(identity, iuu_keys, mmsis=mmsi_index.unique())
    f["iuu_match"] = mmsi_index.map(matches).to_numpy()
    f["iuu_listed"] = f["iuu_match"].notna()

    counts = [
        "gaps_12_hours_all",
        "number_encounters",
        "number_carrier_encounters",
        "number_loitering_events",
        "number_voyages",
        "number_port_visits",
        "gaps_12_hours",
        "gaps_12_hours_offshore",
        "n_shipnames",
        "n_callsigns",
    ]
    f[counts] = f[counts].fillna(0).astype("int64")
    # A vessel-year with messages has at least one transmitter.
    f["max_simultaneous_transmitters"] = (
        f["max_simultaneous_transmitters"].fillna(1).clip(lower=1).astype("int64")
    )
    out = f.reset_index()
    out["mmsi"] = normalize_mmsi(out["mmsi"])[0]
    cols = list(VesselFeatureSchema.to_schema().columns)
    return VesselFeatureSchema.validate(out[cols])
