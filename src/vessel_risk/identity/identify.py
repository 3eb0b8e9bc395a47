"""Which vessel each MMSI is: the step that links identities across partitions.

Two MMSIs of one hull may sit in different partitions, so linking is done once on the
whole run's identity history, like encounters, between the two passes over partitions
(:mod:`vessel_risk.pipeline.run`): encounters between two transmitters of one hull are
set aside (:func:`~vessel_risk.identity.vessels.one_hull_pairs`), MMSIs are linked into
vessels (:func:`~vessel_risk.identity.vessels.link_vessels`), each MMSI's flag is
inferred from its call sign, IMO and name (:func:`~vessel_risk.identity.flags.infer_flags`)
and renamings, reflaggings and MMSI changes are counted per vessel-year
(:func:`~vessel_risk.identity.changes.identity_events`). The result is small (one row
per MMSI, per MMSI-year and per link), so every partition gets all of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from vessel_risk.identity.changes import identity_events
from vessel_risk.identity.flags import infer_flags
from vessel_risk.identity.mmsi import flag_iso3
from vessel_risk.identity.vessel_class import (
    classify_vessels,
    fishing_behaviour,
    is_fishing_vessel_by_mmsi,
)
from vessel_risk.identity.vessels import ID_HEX, link_vessels, one_hull_pairs

SHARED_MMSI_FLAG = "mid_of_shared_mmsi: the MID of an MMSI another transmitter also sends"
"""Source of the inferred flag of a second or later transmitter track of an MMSI."""
SHARED_MMSI_CONFIDENCE = 0.5
"""Its confidence: the MID says what the MMSI claims, not which hull sends it."""
FLAG_COLUMNS = ["flag_inferred_iso3", "flag_inferred_source", "flag_inferred_confidence"]
EVENT_COLUMNS = [
    "identity_renamings",
    "identity_reflaggings",
    "identity_mmsi_changes",
    "identity_new_names",
]


@dataclass(frozen=True)
class VesselTables:
    """The run's vessel identities.

    Attributes
    ----------
    vessels : DataFrame
        One row per MMSI: ``mmsi``, ``vessel_id`` and the inferred flag
        (``flag_inferred_iso3``, ``flag_inferred_source``, ``flag_inferred_confidence``).
    events : DataFrame
        One row per (``mmsi``, ``year``): ``identity_renamings``,
        ``identity_reflaggings``, ``identity_mmsi_changes``, ``identity_new_names``.
    links : DataFrame
        The evidence and dates of each link between MMSIs (``vessel_links.parquet``).
    one_hull : DataFrame
        Pairs of MMSIs found to be two transmitters of one hull, with their evidence.
    encounters : DataFrame
        The encounters, without those between two transmitters of one hull.
    """

    vessels: pd.DataFrame
    events: pd.DataFrame
    links: pd.DataFrame
    one_hull: pd.DataFrame
    encounters: pd.DataFrame


def _solo_vessel_id(mmsi: str) -> str:
    """The vessel_id of an MMSI linked to nothing and with no identity report, by the
    rule of :func:`~vessel_risk.identity.vessels.link_vessels` (its own first MMSI)."""
    return hashlib.sha1(f"mmsi:{mmsi}".encode()).hexdigest()[:ID_HEX]


def identify_vessels(
    identity: pd.DataFrame,
    encounters: pd.DataFrame,
    activity: pd.DataFrame,
    *,
    vessel_lists: pd.DataFrame | None = None,
    carriers: Collection[str] = (),
) -> VesselTables:
    """Link the run's MMSIs into vessels, infer flags and count identity events.

    Parameters
    ----------
    identity : DataFrame
        The run's identity history (:func:`~vessel_risk.identity.history.identity_history`).
    encounters : DataFrame
        Encounter sides (:class:`~vessel_risk.events.schemas.EncounterSchema`).
    activity : DataFrame
        ``mmsi``, ``first_seen``, ``last_seen`` (UTC) of each MMSI's positions.
    vessel_lists : DataFrame, optional
        Vessel lists with flags (:func:`~vessel_risk.identity.lists.load_vessel_list`).
    carriers : collection of str, optional
        Carrier MMSIs: rafting alongside one is a transshipment, never one hull.

    Returns
    -------
    VesselTables
    """
    hull = one_hull_pairs(encounters, identity, carriers=carriers)
    pair = set(zip(hull["mmsi"].astype(str), hull["other_mmsi"].astype(str), strict=True))
    pair |= {(b, a) for a, b in pair}
    same_hull = pd.Series(
        [
            (str(a), str(b)) in pair
            for a, b in zip(encounters["mmsi"], encounters["other_mmsi"], strict=True)
        ],
        index=encounters.index,
        dtype=bool,
    )
    linked = link_vessels(identity, one_hull=hull)
    mmsis = sorted(set(activity["mmsi"].astype(str)) | set(linked.vessel_ids["mmsi"]))
    ids = linked.vessel_ids.set_index("mmsi")["vessel_id"].reindex(mmsis)
    ids = ids.fillna(pd.Series(mmsis, index=mmsis).map(_solo_vessel_id))
    vessel_ids = pd.DataFrame(
        {"mmsi": pd.Series(mmsis, dtype=object), "vessel_id": pd.Series(ids, dtype=object).values}
    )
    flags = infer_flags(identity, vessel_lists=vessel_lists, mmsis=mmsis)
    vessels = vessel_ids.merge(flags[["mmsi", *FLAG_COLUMNS]], on="mmsi", how="left")
    # Reflagging reads the flag each MMSI stands for: declared, else inferred.
    declared = flag_iso3(pd.Series(mmsis, index=mmsis, dtype="string"))
    inferred = vessels.set_index("mmsi")["flag_inferred_iso3"].astype("string")
    events = identity_events(
        identity, vessel_ids, flags=declared.fillna(inferred), activity=activity
    )
    return VesselTables(
        vessels=vessels,
        events=events[["mmsi", "year", *EVENT_COLUMNS]],
        links=linked.links,
        one_hull=hull,
        encounters=encounters[~same_hull].reset_index(drop=True),
    )


def position_activity(positions: pd.DataFrame) -> pd.DataFrame:
    """First and last position time of each MMSI: ``mmsi``, ``first_seen``, ``last_seen``."""
    return (
        positions.groupby("mmsi", sort=True, observed=True)["timestamp"]
        .agg(first_seen="min", last_seen="max")
        .reset_index()
        .assign(mmsi=lambda f: f["mmsi"].astype(str))
    )


def with_vessel_identity(
    features: pd.DataFrame,
    tables: VesselTables,
    positions: pd.DataFrame,
    identity: pd.DataFrame,
    carriers: Collection[str] = (),
) -> pd.DataFrame:
    """Vessel-year features with each vessel's identity, inferred flag, identity events
    and class.

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features (:func:`~vessel_risk.features.vessel_year.vessel_year_features`).
    tables : VesselTables
        From :func:`identify_vessels`.
    positions : DataFrame
        The partition's positions with ``fishing_score`` (the fishing stage's), for the
        behaviour evidence of the vessel class.
    identity : DataFrame
        The partition's identity history.
    carriers : collection of str
        Carrier MMSIs (reefers).

    Returns
    -------
    DataFrame of shape (n, k + 11)
        ``features`` with ``vessel_id``, ``flag_inferred_iso3``, ``flag_inferred_source``,
        ``flag_inferred_confidence``, the identity event counts (0 where none) and
        ``identity_new_names``, and ``vessel_class``, ``vessel_class_source``,
        ``vessel_class_evidence``; the same rows in the same order. Every track of an
        MMSI carries the MMSI's identity and class, but only its first track the MID's
        flag as ``flag_iso3``: for later tracks (another transmitter sending the MMSI)
        it becomes the inferred flag (:data:`SHARED_MMSI_FLAG`).
    """
    mmsis = features["mmsi"].astype(str).unique()
    classes = classify_vessels(
        identity,
        mmsis=mmsis,
        is_fishing_vessel=is_fishing_vessel_by_mmsi(positions),
        carriers=carriers,
        behaviour=fishing_behaviour(positions),
    )
    key = features["mmsi"].astype(str)
    out = features.assign(_key=key.to_numpy())
    out = out.merge(
        tables.vessels.assign(_key=tables.vessels["mmsi"].astype(str)).drop(columns="mmsi"),
        on="_key",
        how="left",
    )
    events = tables.events.assign(_key=tables.events["mmsi"].astype(str)).drop(columns="mmsi")
    out = out.merge(events, on=["_key", "year"], how="left")
    counts = EVENT_COLUMNS[:-1]
    out[counts] = out[counts].fillna(0).astype("int64")
    out = out.merge(
        classes.assign(_key=classes["mmsi"].astype(str)).drop(columns="mmsi"), on="_key", how="left"
    )
    out.index = features.index
    text = ["vessel_id", "flag_inferred_iso3", "flag_inferred_source", "identity_new_names"]
    text += ["vessel_class", "vessel_class_source", "vessel_class_evidence"]
    out[text] = out[text].astype("string")
    out["flag_inferred_confidence"] = out["flag_inferred_confidence"].astype("float64")
    # A later transmitter track of a shared MMSI did not itself declare the MID's flag:
    # it is its inferred flag, so routing by it waits for a person's confirmation.
    shared = (out["track_id"] > 0) & out["flag_iso3"].notna()
    out.loc[shared, "flag_inferred_iso3"] = out.loc[shared, "flag_iso3"]
    out.loc[shared, "flag_inferred_source"] = SHARED_MMSI_FLAG
    out.loc[shared, "flag_inferred_confidence"] = SHARED_MMSI_CONFIDENCE
    out.loc[shared, "flag_iso3"] = pd.NA
    return out.drop(columns="_key")
