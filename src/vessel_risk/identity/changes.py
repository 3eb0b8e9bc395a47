"""Identity events per vessel-year: renamings, reflaggings and MMSI changes of a vessel.

Each is counted over the vessel (``vessel_id``, :func:`vessel_risk.identity.vessels.link_vessels`),
not the MMSI, so a hull that moves to a new MMSI and a new name shows both. Frequent
identity changes are an ILO indicator of deception (ILO, *Indicators of Forced Labour*,
2012); GFW flags them in its reflagging and identity-change tables
(``flag_changes_identity.parquet``, ``flag_changes_name.parquet``) and TMT's vessel
profiles; McDonald et al. 2021 found the names per MMSI among the forced-labour signals.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

import numpy as np
import pandas as pd

from vessel_risk.identity.mmsi import flag_iso3
from vessel_risk.identity.vessels import VARIANT_RATIO, clean_names

MMSI_CHANGE_OVERLAP = pd.Timedelta(days=30)
"""How long an old MMSI may still be heard after a new one starts for the new one to
count as an MMSI change rather than a second transmitter of the hull."""

EVENT_COLUMNS = [
    "mmsi",
    "year",
    "vessel_id",
    "identity_renamings",
    "identity_reflaggings",
    "identity_mmsi_changes",
    "identity_new_names",
]
VARIANT_SHARE = 0.05
"""A garbled copy carries at most this share of the messages of the name it copies:
bit errors are rare, a real name is broadcast for weeks ("FUYUANYU715", 983 messages
beside 4,563 of "LURONGYUANYU715", is a renaming)."""
_HULL_NUMBER = re.compile(r"(\d+)$")


def _hull_number(name: str) -> str:
    m = _HULL_NUMBER.search(name)
    return m.group(1) if m else ""


def _canonical(
    keys: list[str], msgs: list[float], first: list[int | None], last: list[int | None]
) -> list[str]:
    """The canonical name of each of one vessel's distinct cleaned names.

    The rule of :func:`name_variants` on plain lists (no pandas per vessel): names in
    order of messages (most first, then by text), each a copy of the first earlier
    main name it fits, else a main name itself. Times are UTC nanoseconds, None for
    unknown (an unknown time fits nothing, as NaT compares false).
    """
    order = sorted(range(len(keys)), key=lambda i: (-msgs[i], keys[i]))
    hull = [_hull_number(k) for k in keys]
    canon = list(keys)
    mains: list[int] = []
    for i in order:
        k, fi, li = keys[i], first[i], last[i]
        hit = None
        for m in mains:
            fm, lm = first[m], last[m]
            if (
                hull[m] == hull[i]
                and fm is not None
                and fi is not None
                and fm <= fi
                and li is not None
                and lm is not None
                and li <= lm
                and msgs[i] <= VARIANT_SHARE * msgs[m]
                and abs(len(k) - len(keys[m])) <= 2
                and SequenceMatcher(None, keys[m], k).ratio() >= VARIANT_RATIO
            ):
                hit = m
                break
        canon[i] = (keys[hit] or k) if hit is not None else k
        if hit is None:
            mains.append(i)
    return canon


def _ns_or_none(values: pd.Series) -> list[int | None]:
    """UTC nanoseconds of each time, None where it is unknown."""
    known = values.notna().to_numpy()
    ns = values.to_numpy(dtype="datetime64[ns]").view("int64")
    return [int(v) if ok else None for v, ok in zip(ns.tolist(), known.tolist(), strict=True)]


def name_variants(names: pd.DataFrame) -> dict[str, str]:
    """Each cleaned name of one vessel mapped to the name it is a garbled copy of.

    A rarer name is a copy of a more broadcast one when both end in the same hull
    number, their lengths differ by 2 characters at most, their similarity (difflib
    ratio) is at least :data:`~vessel_risk.identity.vessels.VARIANT_RATIO`, the rarer
    carries at most :data:`VARIANT_SHARE` of the other's messages, and it was seen only
    while the other was broadcast: "HAHHHING3" of "HAIHANG3", "LUS8OYUANYU277" of
    "LURONGYUANYU277" (bit errors of satellite AIS). "LURONGYUANYU195" and
    "LURONGYUANYU715" stay two names, and so do "SHUNHANG3" and "HAIHANG3" (one after
    the other).

    Parameters
    ----------
    names : DataFrame
        ``key`` (cleaned name), ``messages``, ``first_seen``, ``last_seen`` of one vessel.

    Returns
    -------
    dict
        Every key to its canonical name (itself when it is no copy).
    """
    per = names.groupby("key").agg(
        messages=("messages", "sum"),
        first_seen=("first_seen", "min"),
        last_seen=("last_seen", "max"),
    )
    keys = [str(k) for k in per.index]
    canon = _canonical(
        keys,
        [float(v) for v in per["messages"]],
        _ns_or_none(per["first_seen"]),
        _ns_or_none(per["last_seen"]),
    )
    return dict(zip(keys, canon, strict=True))


def _rename_events(names: pd.DataFrame) -> list[dict[str, object]]:
    """Renaming events of every vessel: ``vessel_id``, ``year``, ``kind``, ``name``.

    One grouping of all vessels' names by (vessel, cleaned name); only vessels with
    two or more distinct names go through :func:`_canonical` (one name is no
    renaming). Per vessel, the canonical names in order of first broadcast (ties by
    name), the first left out: as :func:`name_variants` per vessel, without a pandas
    grouping per vessel.
    """
    per = names.groupby(["vessel_id", "key"], sort=True).agg(
        messages=("messages", "sum"),
        first_seen=("first_seen", "min"),
        last_seen=("last_seen", "max"),
    )
    if per.empty:
        return []
    vessel = per.index.get_level_values(0)
    codes, _ = pd.factorize(vessel)
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(per)]])
    multi = (ends - starts) >= 2
    if not multi.any():
        return []
    keys_all = [str(k) for k in per.index.get_level_values(1)]
    vessels_all = vessel.tolist()
    msgs_all = per["messages"].astype("float64").tolist()
    first_all = _ns_or_none(per["first_seen"])
    last_all = _ns_or_none(per["last_seen"])
    first_ts = per["first_seen"].tolist()
    events: list[dict[str, object]] = []
    for a, b in zip(starts[multi].tolist(), ends[multi].tolist(), strict=True):
        keys = keys_all[a:b]
        firsts = first_all[a:b]
        canon = _canonical(keys, msgs_all[a:b], firsts, last_all[a:b])
        # Earliest first broadcast of each canonical name (unknown times skipped).
        earliest: dict[str, tuple[int | None, Any]] = {}
        for c, f, t in zip(canon, firsts, first_ts[a:b], strict=True):
            known = earliest.get(c)
            if known is None or (f is not None and (known[0] is None or f < known[0])):
                earliest[c] = (f, t)
        # Sorted by time, unknown last, ties by name (stable sort of the sorted names).
        order = sorted(
            sorted(earliest),
            key=lambda c: (earliest[c][0] is None, earliest[c][0] or 0),
        )
        v = vessels_all[a]
        for c in order[1:]:
            events.append(
                {
                    "vessel_id": v,
                    "year": pd.Timestamp(earliest[c][1]).year,
                    "kind": "rename",
                    "name": c,
                }
            )
    return events


def identity_events(
    identity: pd.DataFrame,
    vessel_ids: pd.DataFrame,
    *,
    flags: pd.Series | None = None,
    activity: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Renamings, reflaggings and MMSI changes of each vessel, per MMSI and year.

    * ``identity_renamings``: names first broadcast under the vessel (any of its MMSIs)
      in the year, after :func:`~vessel_risk.identity.vessels.clean_names` and with
      garbled copies folded into their main name (:func:`name_variants`); the vessel's
      first name is not a renaming.
    * ``identity_reflaggings``: MMSIs of the vessel first seen in the year whose flag
      differs from the flag of the vessel's MMSI seen before them (MMSIs without a flag
      are skipped).
    * ``identity_mmsi_changes``: MMSIs of the vessel first seen in the year that took
      over from the earlier ones (none of those heard more than
      :data:`MMSI_CHANGE_OVERLAP` later): a second transmitter of one hull is no change.
    * ``identity_new_names``: those new names, comma-separated, in the order first seen.

    The counts are the vessel's: every MMSI of a vessel seen in a year carries the same.

    Parameters
    ----------
    identity : DataFrame
        Identity history: ``mmsi``, ``field``, ``value``, ``first_seen``, ``last_seen``
        (UTC), ``messages``.
    vessel_ids : DataFrame
        ``mmsi``, ``vessel_id`` (``link_vessels(...).vessel_ids``).
    flags : Series, optional
        Flag (ISO3) by MMSI; default the declared flag from the MID
        (:func:`~vessel_risk.identity.mmsi.flag_iso3`). An inferred flag may be passed.
    activity : DataFrame, optional
        ``mmsi``, ``first_seen``, ``last_seen`` (UTC) of each MMSI's positions, so an
        MMSI that sent no static report (412331284 beside 150400453) still counts as an
        MMSI of its vessel and gets its years.

    Returns
    -------
    DataFrame with one row per (``mmsi``, ``year``) from the year the MMSI was first
    seen to the year it was last seen: ``mmsi``, ``year`` (int), ``vessel_id``,
    ``identity_renamings``, ``identity_reflaggings``, ``identity_mmsi_changes`` (int),
    ``identity_new_names`` (str, empty when none).
    """
    seen = [f for f in (identity, activity) if f is not None and len(f)]
    if not seen:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    times = pd.concat([f[["mmsi", "first_seen", "last_seen"]] for f in seen], ignore_index=True)
    vid = dict(zip(vessel_ids["mmsi"].astype(str), vessel_ids["vessel_id"], strict=True))
    ident = identity.assign(mmsi=identity["mmsi"].astype(str))
    ident["vessel_id"] = ident["mmsi"].map(vid)
    ident = ident.dropna(subset=["vessel_id"])
    times = times.assign(mmsi=times["mmsi"].astype(str))
    times["vessel_id"] = times["mmsi"].map(vid)
    times = times.dropna(subset=["vessel_id"])
    spans = times.groupby("mmsi").agg(
        vessel_id=("vessel_id", "first"),
        first_seen=("first_seen", "min"),
        last_seen=("last_seen", "max"),
    )
    if flags is None:
        flag = flag_iso3(pd.Series(spans.index, index=spans.index))
    else:
        flag = flags.reindex(spans.index)
    spans["flag"] = flag.to_numpy()

    names = ident[ident["field"] == "shipname"].assign(key=lambda d: clean_names(d["value"]))
    names = names.dropna(subset=["key"])
    events = _rename_events(names)
    # MMSI changes and reflaggings, for all vessels at once: each vessel's MMSIs in the
    # order first heard.
    order = spans.reset_index().sort_values(["vessel_id", "first_seen", "mmsi"], kind="stable")
    vessel = order["vessel_id"]
    later = vessel.eq(vessel.shift(1))
    # A new MMSI is a change only when the earlier ones fall silent; two MMSIs heard
    # side by side for longer (two transmitters of one hull) are not one.
    heard_before = order.groupby("vessel_id", sort=False)["last_seen"].cummax().shift(1)
    took_over = later & (heard_before < order["first_seen"] + MMSI_CHANGE_OVERLAP)
    year = order["first_seen"].dt.year
    events += [
        {"vessel_id": v, "year": y, "kind": "mmsi", "name": ""}
        for v, y in zip(vessel[took_over], year[took_over], strict=True)
    ]
    flagged = order.dropna(subset=["flag"])
    same = flagged["vessel_id"].eq(flagged["vessel_id"].shift(1))
    changed = same & flagged["flag"].astype(str).ne(flagged["flag"].astype(str).shift(1))
    events += [
        {"vessel_id": v, "year": y, "kind": "flag", "name": ""}
        for v, y in zip(
            flagged.loc[changed, "vessel_id"],
            flagged.loc[changed, "first_seen"].dt.year,
            strict=True,
        )
    ]
    ev = pd.DataFrame(events, columns=["vessel_id", "year", "kind", "name"])

    # One row per MMSI and year from its first year to its last.
    first_year = spans["first_seen"].dt.year.to_numpy(dtype="int64")
    n_years = spans["last_seen"].dt.year.to_numpy(dtype="int64") - first_year + 1
    n_years = np.maximum(n_years, 0)
    start_row = np.repeat(np.cumsum(n_years) - n_years, n_years)
    out = pd.DataFrame(
        {
            "mmsi": np.repeat(spans.index.to_numpy(dtype=object), n_years),
            "year": np.repeat(first_year, n_years) + (np.arange(int(n_years.sum())) - start_row),
            "vessel_id": np.repeat(spans["vessel_id"].to_numpy(dtype=object), n_years),
        }
    )
    for col, kind in (
        ("identity_renamings", "rename"),
        ("identity_reflaggings", "flag"),
        ("identity_mmsi_changes", "mmsi"),
    ):
        n = ev[ev["kind"] == kind].groupby(["vessel_id", "year"]).size()
        idx = pd.MultiIndex.from_arrays([out["vessel_id"], out["year"]])
        out[col] = n.reindex(idx).fillna(0).astype("int64").to_numpy()
    new = ev[ev["kind"] == "rename"].groupby(["vessel_id", "year"])["name"].agg(", ".join)
    idx = pd.MultiIndex.from_arrays([out["vessel_id"], out["year"]])
    out["identity_new_names"] = new.reindex(idx).fillna("").to_numpy()
    out["year"] = out["year"].astype("int64")
    return out.sort_values(["mmsi", "year"], ignore_index=True)[EVENT_COLUMNS]
