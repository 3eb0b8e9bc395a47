"""Vessel-year features, named as in Global Fishing Watch's forced-labour table.

Column definitions and sources are in ``docs/features.md``. Each vessel-year is keyed
by ``mmsi`` and the UTC calendar ``year``; events (voyages, port visits, gaps) belong
to the year they start in.
"""

from __future__ import annotations

from typing import overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from vessel_risk.events.fishing import FISHING_SOURCES, SOURCE_NNET
from vessel_risk.events.gaps import GAP_HOURS, OFFSHORE_KM
from vessel_risk.events.schemas import EnrichedPositionSchema as Enriched
from vessel_risk.features.coverage import mark_unknown, with_observed_share
from vessel_risk.features.schemas import VesselFeatureSchema
from vessel_risk.geo.tracks import DAY_NS, epoch_ns, hours_since_previous, same_vessel_as_previous
from vessel_risk.identity.history import identity_history
from vessel_risk.identity.lists import normalize_name
from vessel_risk.identity.mmsi import flag_iso3, mmsi_valid, normalize_mmsi

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
    nxt = np.append(hours_since_previous(positions["timestamp"])[1:], np.nan)
    same_next = np.append(same_vessel_as_previous(positions["mmsi"])[1:], False)
    h = np.where(same_next & (nxt < max_hours), nxt, 0.0)
    return np.nan_to_num(h, nan=0.0)


TRACK_SEPARATOR = "#"


@overload
def _track_key(frame: pd.DataFrame) -> pd.DataFrame: ...
@overload
def _track_key(frame: None) -> None: ...
def _track_key(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """``frame`` with ``mmsi`` replaced by its vessel track's key (``mmsi`` for track 0,
    ``"150400453#0001"`` for track 1), so one column keys every table; the keys sort as
    (mmsi, track_id) do. Frames without ``track_id`` are track 0."""
    if frame is None or "track_id" not in frame.columns:
        return frame
    track = frame["track_id"].fillna(0).astype("int64")
    mmsi = frame["mmsi"].astype("string")
    key = mmsi.where(track == 0, mmsi + TRACK_SEPARATOR + track.astype("string").str.zfill(4))
    return frame.assign(mmsi=key.astype(object))


def _mmsi_of(keys: pd.Series | pd.Index) -> pd.Series:
    """The MMSI of each vessel track key (:func:`_track_key`)."""
    return pd.Series(keys).astype("string").str.split(TRACK_SEPARATOR).str[0]


def _track_of(keys: pd.Series | pd.Index) -> npt.NDArray[np.int64]:
    """The track id of each vessel track key (:func:`_track_key`)."""
    parts = pd.Series(keys).astype("string").str.split(TRACK_SEPARATOR)
    track = parts.str[1].astype("string").fillna("0")
    return np.asarray(track.astype("int64").to_numpy(), dtype=np.int64)


def _per_track(per_mmsi: pd.DataFrame, keys: pd.Index) -> pd.DataFrame:
    """Rows keyed by MMSI repeated for every vessel track key of that MMSI in ``keys``."""
    tracks = pd.DataFrame({"key": keys, "mmsi": _mmsi_of(keys).to_numpy(dtype=object)})
    merged = per_mmsi.merge(tracks.drop_duplicates(), on="mmsi", how="inner")
    return merged.assign(mmsi=merged.pop("key"))


def _position_features(positions: pd.DataFrame) -> pd.DataFrame:
    """The features of each vessel-year that come from its positions alone.

    Parameters
    ----------
    positions : DataFrame sorted by ``mmsi``, ``timestamp``
        As for :func:`vessel_year_features`.

    Returns
    -------
    DataFrame indexed by ``mmsi``, ``year`` (sorted), one row per vessel-year with
    positions: message counts, hours, fishing hours and their source, distances,
    days observed, first and last time and the last known position.
    """
    n = len(positions)
    ts = positions["timestamp"]
    t = epoch_ns(ts)
    year = ts.dt.year.to_numpy(dtype="int64")
    # Sorted by mmsi then time, each vessel-year is one run of rows: aggregate each run
    # with ufunc.reduceat from its first row, which is much faster than a groupby.
    first = ~same_vessel_as_previous(positions["mmsi"])
    first[1:] |= year[1:] != year[:-1]
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], n)[: len(starts)] - 1  # none without positions
    run = np.cumsum(first) - 1

    def total(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.add.reduceat(np.where(np.isnan(values), 0.0, values), starts)

    def largest(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.fmax.reduceat(values, starts)  # NaN only where all are NaN

    hours = position_hours(positions)
    # The least certain source that scored any message of the year names the year's
    # fishing columns: an estimate must never read as GFW's own score.
    rank = np.full(n, -1)
    if "fishing_score" in positions.columns:
        score = positions["fishing_score"].to_numpy(dtype="float64")
        source = positions["fishing_source"]
        for i, name in enumerate(FISHING_SOURCES):
            rank[(source == name).to_numpy(dtype=bool, na_value=False)] = i
    else:
        # Called without the pipeline's fishing stage: GFW's score or nothing.
        score = (
            positions["nnet_score"].to_numpy(dtype="float64")
            if "nnet_score" in positions.columns
            else np.full(n, np.nan)
        )
        rank[~np.isnan(score)] = FISHING_SOURCES.index(SOURCE_NNET)
    scored = np.logical_or.reduceat(~np.isnan(score), starts)
    fishing = score > FISHING_SCORE_THRESHOLD
    # Lying at anchor or alongside is not fishing, whatever a score says: a slow drift
    # and a vessel at anchor look alike to the classifier and the heuristic.
    fishing &= ~positions[Enriched.in_port].to_numpy(dtype=bool)
    fishing_h = np.where(fishing, hours, 0.0)
    shore = positions["distance_from_shore_km"].to_numpy(dtype="float64")
    if "eez_iso3" in positions.columns:
        # The user's EEZ polygons (vessel_risk.geo.zones): outside all of them is high seas;
        # a zone of another state than the flag is foreign (unknown without a flag).
        eez = positions["eez_iso3"].astype("string")
        flag = flag_iso3(_mmsi_of(positions["mmsi"].take(starts))).to_numpy(
            dtype=object, na_value=""
        )
        in_eez = eez.notna().to_numpy()
        high_seas = ~in_eez & ~np.isnan(positions["lat"].to_numpy(dtype="float64"))
        foreign = in_eez & (eez.to_numpy(dtype=object, na_value="") != flag[run])
        fishing_hours_foreign_eez = np.where(
            scored & (flag != ""), total(np.where(foreign, fishing_h, 0.0)), np.nan
        )
    else:
        # Beyond 200 nm from every coast is outside every EEZ (UNCLOS Art. 57).
        high_seas = shore > HIGH_SEAS_KM
        fishing_hours_foreign_eez = np.full(len(starts), np.nan)
    fishing_h_high_seas = np.where(high_seas, fishing_h, 0.0)
    day = t // DAY_NS
    new_day = first.copy()
    new_day[1:] |= day[1:] != day[:-1]
    # A fishing interval runs to the next message and may end the next day: both dates
    # count as fishing days, so the daily average never exceeds 24 h.
    interval = np.flatnonzero(fishing & (hours > 0))
    interval_h = pd.to_timedelta(hours[interval], unit="h")
    interval_end = t[interval] + interval_h.to_numpy(dtype="timedelta64[ns]").view("int64")
    fishing_days = _distinct_per_run(
        np.concatenate([run[interval], run[interval]]),
        np.concatenate([day[interval], interval_end // DAY_NS]),
        len(starts),
    )
    lat = positions["lat"].to_numpy(dtype="float64")
    last_located = np.maximum.reduceat(np.where(np.isnan(lat), -1, np.arange(n)), starts)
    has_located = last_located >= starts

    f = pd.DataFrame(
        {
            "position_messages": ends - starts + 1,
            "hours": total(hours),
            "fishing_hours": np.where(scored, total(fishing_h), np.nan),
            "fishing_hours_high_seas": np.where(scored, total(fishing_h_high_seas), np.nan),
            "fishing_hours_foreign_eez": fishing_hours_foreign_eez,
            "fishing_source": pd.array(FISHING_SOURCES, dtype="string").take(
                np.maximum.reduceat(rank, starts), allow_fill=True
            ),
            "distance_traveled_km": total(positions["segment_km"].to_numpy(dtype="float64")),
            "max_distance_from_shore_km": largest(shore),
            "max_distance_from_port_km": largest(
                positions["distance_from_port_km"].to_numpy(dtype="float64")
            ),
            "days_observed": np.add.reduceat(new_day, starts),
            "first_timestamp": ts.array[starts],
            "last_timestamp": ts.array[ends],
            "last_lat": np.where(has_located, lat[last_located], np.nan),
            "last_lon": np.where(
                has_located, positions["lon"].to_numpy(dtype="float64")[last_located], np.nan
            ),
        },
        index=pd.MultiIndex.from_arrays(
            [positions["mmsi"].take(starts).to_numpy(), year[starts]], names=["mmsi", "year"]
        ),
    )
    f["average_daily_fishing_hours"] = (
        f["fishing_hours"] / np.where(fishing_days > 0, fishing_days, np.nan)
    ).where(f["fishing_hours"].notna())
    f.loc[f["fishing_hours"] == 0, "average_daily_fishing_hours"] = 0.0
    f["positions_per_day"] = f["position_messages"] / f["days_observed"]
    return f


def _distinct_per_run(
    run: npt.NDArray[np.int64], value: npt.NDArray[np.int64], n_runs: int
) -> npt.NDArray[np.int64]:
    """How many distinct values each run holds.

    Parameters
    ----------
    run : ndarray of int, shape (m,)
        The run (0 to ``n_runs - 1``) of each value.
    value : ndarray of int, shape (m,)
    n_runs : int

    Returns
    -------
    ndarray of int64, shape (n_runs,); 0 for runs without values.
    """
    if len(value) == 0:
        return np.zeros(n_runs, dtype="int64")
    span = int(value.max() - value.min()) + 1
    pairs = np.unique(run * span + (value - value.min()))
    return np.bincount(pairs // span, minlength=n_runs)


class _PerVesselYear:
    """Counts and statistics of events (or reports) per row of the features table.

    Each event belongs to the vessel-year of its MMSI and the UTC year of its time;
    events of a vessel-year absent from the table are left out.

    Parameters
    ----------
    index : MultiIndex of (``mmsi``, ``year``), sorted
        The features table's rows.
    events : DataFrame or None
        With ``mmsi`` and ``time_col``; None or empty means no events.
    time_col : str
        The timezone-aware column that gives each event's year.
    """

    def __init__(self, index: pd.Index, events: pd.DataFrame | None, time_col: str):
        self._n = len(index)
        self._events = events if events is not None else pd.DataFrame()
        if self._events.empty:
            self.row = np.empty(0, dtype=np.intp)
            return
        mmsi = index.get_level_values("mmsi")
        vessels = pd.Index(mmsi.unique())
        # One integer per vessel-year, ascending down the sorted table.
        keys = vessels.get_indexer(mmsi) * 10_000 + index.get_level_values("year").to_numpy()
        vessel = vessels.get_indexer(self._events["mmsi"])
        key = vessel * 10_000 + self._events[time_col].dt.year.to_numpy(dtype="int64")
        row = np.minimum(np.searchsorted(keys, key), self._n - 1)
        self.row = np.where((vessel >= 0) & (keys[row] == key), row, -1)

    def _in_table(self, col: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """Rows and values (null as NaN) of the events that have a row in the table."""
        if self._events.empty:
            return self.row, np.empty(0)
        values = self._events[col].to_numpy(dtype="float64", na_value=np.nan)
        return self.row[self.row >= 0], values[self.row >= 0]

    def count(self) -> npt.NDArray[np.int64]:
        """Events per row, shape (n_rows,)."""
        return np.bincount(self.row[self.row >= 0], minlength=self._n)

    def count_true(self, col: str) -> npt.NDArray[np.int64]:
        """Events per row whose boolean ``col`` is true."""
        row, values = self._in_table(col)
        return np.bincount(row[values == 1.0], minlength=self._n)

    def mean(self, col: str) -> npt.NDArray[np.float64]:
        """Mean of ``col`` per row, NaN without events; nulls are skipped."""
        row, values = self._in_table(col)
        # Summed row by row within each vessel-year and nowhere else (bincount adds in
        # table order): a vessel-year's mean is the same bits whatever other vessels
        # share its partition. pandas' grouped mean is not (its result for one group
        # moved in the last bit with the groups around it: 1 vs 7 partitions).
        known = ~np.isnan(values)
        sums = np.bincount(row[known], weights=values[known], minlength=self._n)
        counts = np.bincount(row[known], minlength=self._n)
        out = np.full(self._n, np.nan)
        np.divide(sums, counts, out=out, where=counts > 0)
        return out

    def largest(self, col: str) -> npt.NDArray[np.float64]:
        """Maximum of ``col`` per row, NaN without events."""
        row, values = self._in_table(col)
        out = np.full(self._n, np.nan)
        np.fmax.at(out, row, values)
        return out

    def distinct(self, col: str) -> npt.NDArray[np.int64]:
        """Distinct non-null values of ``col`` per row."""
        if self._events.empty:
            return np.zeros(self._n, dtype="int64")
        code = pd.factorize(self._events[col])[0]  # -1 for null
        keep = (self.row >= 0) & (code >= 0)
        return _distinct_per_run(self.row[keep], code[keep], self._n)


def iuu_matches(
    identity: pd.DataFrame, iuu_keys: pd.DataFrame | None, *, mmsis: npt.ArrayLike = ()
) -> pd.Series:
    """The IUU-list entry each MMSI matches, by MMSI, IMO or normalised name.

    Parameters
    ----------
    identity : DataFrame
        ``mmsi``, ``field`` (shipname, callsign, imo, ...), ``value`` from
        :func:`vessel_risk.identity.history.identity_history`.
    iuu_keys : DataFrame or None
        From :func:`vessel_risk.identity.lists.load_iuu_list`.
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
    identity: pd.DataFrame | None = None,
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    thin_as_unknown: bool = True,
) -> pd.DataFrame:
    """One row of features per vessel-year with at least one position.

    Parameters
    ----------
    positions : DataFrame
        Enriched positions sorted by ``mmsi``, ``timestamp``
        (:class:`~vessel_risk.events.schemas.EnrichedPositionSchema`:
        ``distance_from_shore_km``, ``distance_from_port_km``, ``segment_km``,
        ``in_port``), optionally with ``nnet_score`` and the fishing stage's
        ``fishing_score``/``fishing_source``. Positions ``in_port`` never count as
        fishing.
    visits, voyages, gaps : DataFrame
        Events from :mod:`port_visits`, :mod:`voyages`, :mod:`gaps`.
    identity_reports : DataFrame
        Every report that carries identity: ``mmsi``, ``timestamp``, ``shipname``,
        ``callsign``, ``imo``, ``shiptype`` (static reports and position reports).
    encounters, loitering : DataFrame, optional
        From :func:`vessel_risk.events.encounters.detect_encounters` and
        :func:`vessel_risk.events.loitering.detect_loitering`; absent means none found.
    iuu_keys : DataFrame, optional
        From :func:`vessel_risk.identity.lists.load_iuu_list`.
    psma_parties : DataFrame, optional
        From :func:`vessel_risk.geo.ports.read_psma_parties`; without it
        ``number_poc_port_visits`` is null (unknown).
    transmitters : DataFrame, optional
        From :func:`vessel_risk.identity.transmitters.simultaneous_transmitters`
        (``mmsi``, ``year``, ``max_simultaneous_transmitters``); vessel-years absent
        from it, or all when it is None, get 1.
    identity : DataFrame, optional
        :func:`~vessel_risk.identity.history.identity_history` of ``identity_reports`` (other
        fields, such as destinations, may be there too), when the caller has it
        already; otherwise it is computed here.
    window : (Timestamp, Timestamp), optional
        The data's first and last time (UTC) for ``observed_share``; default: those of
        ``positions``. A run on several partitions of vessels sets it again once all are
        stacked (:func:`vessel_risk.features.coverage.with_observed_share`).
    thin_as_unknown : bool, default True
        Null what thin vessel-years cannot tell
        (:func:`vessel_risk.features.coverage.mark_unknown`). False keeps the raw
        aggregates (0 where no event was seen), as GFW's table holds them, for
        comparisons with it; never for scoring.

    Notes
    -----
    Fishing hours come from ``fishing_score`` and ``fishing_source`` when the
    positions carry them (:func:`vessel_risk.events.fishing.fishing_scores`, run by the
    pipeline); without them, from GFW's ``nnet_score`` only, null where absent.

    Missing is missing: what a thin vessel-year cannot tell (its voyages; event counts
    and fishing hours where none was seen) is null, never 0
    (:func:`vessel_risk.features.coverage.mark_unknown`); ``position_messages``,
    ``days_observed`` and ``observed_share`` say how much data every row rests on.

    Returns
    -------
    DataFrame validated against :class:`~vessel_risk.features.schemas.VesselFeatureSchema`,
    sorted by ``mmsi``, ``year``.

    Raises
    ------
    ValueError
        If ``positions`` are not enriched (no ``in_port`` column): the port state is
        read, never recomputed here with defaults of its own.
    """
    if Enriched.in_port not in positions.columns:
        raise ValueError(
            "The 'positions' parameter of vessel_year_features must be enriched positions "
            "with an 'in_port' column (vessel_risk.events.enrich.enrich_positions). Got "
            f"columns {list(positions.columns)} instead."
        )
    # Each transmitter track of an MMSI is a vessel of its own here: one key for both.
    positions = _track_key(positions)
    visits, voyages, gaps = _track_key(visits), _track_key(voyages), _track_key(gaps)
    encounters, loitering = _track_key(encounters), _track_key(loitering)
    f = _position_features(positions)
    keys = pd.Index(positions["mmsi"].unique())
    # Identity and transmitters belong to the MMSI, so to each of its tracks.
    if identity is None:
        identity = identity_history(identity_reports)
    identity_reports = _per_track(identity_reports.drop(columns="track_id", errors="ignore"), keys)
    if transmitters is not None and len(transmitters):
        f["max_simultaneous_transmitters"] = _per_track(transmitters, keys).set_index(
            ["mmsi", "year"]
        )["max_simultaneous_transmitters"]
    else:
        f["max_simultaneous_transmitters"] = np.nan

    voyage = _PerVesselYear(f.index, voyages, "start")
    f["number_voyages"] = voyage.count()
    f["average_voyage_duration_hours"] = voyage.mean("duration_h")
    f["max_voyage_duration_hours"] = voyage.largest("duration_h")

    track_index = f.index.get_level_values("mmsi")
    mmsi_index = _mmsi_of(track_index).set_axis(f.index)
    f["mmsi_valid"] = mmsi_valid(mmsi_index).to_numpy()
    f["flag_iso3"] = flag_iso3(mmsi_index).to_numpy()
    pv = visits.copy()
    flag_of = pd.Series(f["flag_iso3"].to_numpy(), index=track_index.to_numpy())
    flag_of = flag_of[~flag_of.index.duplicated()]
    pv["foreign"] = pv["port_iso3"].astype("string") != pv["mmsi"].map(flag_of).astype("string")
    visit = _PerVesselYear(f.index, pv, "start")
    f["number_port_visits"] = visit.count()
    # Without a flag state, "foreign" cannot be judged.
    f["number_foreign_port_visits"] = np.where(
        f["flag_iso3"].isna(), np.nan, visit.count_true("foreign")
    )
    if psma_parties is not None:
        since = pv["port_iso3"].map(psma_parties.set_index("iso3")["in_force_from"])
        pv["non_psma"] = pv["port_iso3"].notna() & ~(since.notna() & (pv["start"] >= since))
        f["number_poc_port_visits"] = visit.count_true("non_psma").astype("float64")
    else:
        f["number_poc_port_visits"] = np.nan

    gap_flags = gaps.assign(
        disabling=gaps["gap_class"] == "likely_disabling",
        offshore=gaps["distance_from_shore_km"] >= OFFSHORE_KM,
    )
    gap = _PerVesselYear(f.index, gap_flags, "start")
    f["gaps_12_hours_all"] = gap.count()
    f["gaps_12_hours"] = gap.count_true("disabling")
    f["gaps_12_hours_offshore"] = gap.count_true("offshore")
    f["average_gap_days"] = gap.mean("duration_h") / 24.0
    f["average_gap_km"] = gap.mean("distance_km")
    f["average_off_distance_from_shore_km"] = gap.mean("distance_from_shore_km")

    encounter = _PerVesselYear(f.index, encounters, "start")
    f["number_encounters"] = encounter.count()
    f["number_carrier_encounters"] = encounter.count_true("other_is_carrier")
    f["average_encounter_duration_hours"] = encounter.mean("duration_h")
    loiter = _PerVesselYear(f.index, loitering, "start")
    f["number_loitering_events"] = loiter.count()
    f["average_loitering_duration_hours"] = loiter.mean("duration_h")

    reports = _PerVesselYear(f.index, identity_reports, "timestamp")
    f["n_shipnames"] = reports.distinct("shipname")
    f["n_callsigns"] = reports.distinct("callsign")
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
    if window is None and len(positions):
        window = (positions["timestamp"].min(), positions["timestamp"].max())
    out = mark_unknown(f.reset_index(), thin_as_unknown=thin_as_unknown)
    out = with_observed_share(out, window)
    out["track_id"] = _track_of(out["mmsi"])
    out["mmsi"] = normalize_mmsi(_mmsi_of(out["mmsi"]))[0]
    cols = [c for c in VesselFeatureSchema.to_schema().columns if c in out.columns]
    return VesselFeatureSchema.validate(out[cols])
