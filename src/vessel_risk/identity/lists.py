"""Reference lists of vessels: the IUU vessel list and carriers (reefers).

:func:`load_iuu_list` reads the combined IUU vessel list (Trygg Mat Tracking's
combined list of RFMO IUU lists) into match keys by MMSI, IMO and normalised name
(:func:`normalize_name`); :func:`read_carriers` reads a list of carrier MMSIs (such as
GFW's reefer list), whose loitering and encounters the event stages treat apart.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vessel_risk.identity.mmsi import normalize_mmsi


def normalize_name(values: pd.Series) -> pd.Series:
    """Vessel names reduced for matching: upper case, only A-Z and 0-9.

    "LU RONG YUAN YU 197", "Lurongyuanyu197" and "LURONGYUANYU-197" all become
    "LURONGYUANYU197". Names shorter than 4 characters after reduction (such as
    "^_^" or "1") are NA: too short to identify a vessel.

    Parameters
    ----------
    values : Series of shape (n,)

    Returns
    -------
    Series of shape (n,), dtype string
    """
    s = values.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    return s.where(s.str.len() >= 4).astype("string")


def load_iuu_list(path: str) -> pd.DataFrame:
    """Read a combined IUU vessel list (TMT format) into match keys.

    Parameters
    ----------
    path : str
        CSV with at least ``vessel_name``; optional ``all_names`` (``|``-separated
        aliases), ``imo``, ``mmsi``, ``listing_rfmos``.

    Returns
    -------
    DataFrame with columns ``key_type`` ("name", "imo", "mmsi"), ``key``, ``listed_as``
    (the listed vessel name) and ``listing``.

    Raises
    ------
    ValueError
        If the file has no ``vessel_name`` column.
    """
    raw = pd.read_csv(path, dtype=str)
    if "vessel_name" not in raw.columns:
        raise ValueError(
            f"The IUU list {str(path)!r} must have a 'vessel_name' column. "
            f"Got columns {list(raw.columns)} instead."
        )
    listing = raw.get("listing_rfmos", pd.Series("", index=raw.index)).fillna("")
    frames = []
    names = raw["vessel_name"].fillna("")
    if "all_names" in raw.columns:
        names = names + "|" + raw["all_names"].fillna("")
    exploded = pd.DataFrame(
        {"name": names.str.split("|"), "listed_as": raw["vessel_name"], "listing": listing}
    ).explode("name")
    exploded["key"] = normalize_name(exploded["name"])
    frames.append(exploded.assign(key_type="name")[["key_type", "key", "listed_as", "listing"]])
    for col in ("imo", "mmsi"):
        if col in raw.columns:
            key = raw[col].str.replace(r"\.0$", "", regex=True).str.strip()
            if col == "mmsi":
                key, _ = normalize_mmsi(key)
            frames.append(
                pd.DataFrame(
                    {
                        "key_type": col,
                        "key": key,
                        "listed_as": raw["vessel_name"],
                        "listing": listing,
                    }
                )
            )
    keys = pd.concat(frames, ignore_index=True).dropna(subset=["key"])
    keys = keys[keys["key"] != ""]
    return keys.drop_duplicates(["key_type", "key"]).reset_index(drop=True)


def read_carriers(path: str | Path) -> frozenset[str]:
    """MMSIs of carriers (refrigerated cargo vessels) from a CSV with an ``mmsi`` column.

    Parameters
    ----------
    path : str or Path
        Such as Global Fishing Watch's reefer list.

    Returns
    -------
    frozenset of 9-character MMSI strings.

    Raises
    ------
    ValueError
        If the file has no ``mmsi`` column.
    """
    raw = pd.read_csv(path, dtype=str)
    if "mmsi" not in raw.columns:
        raise ValueError(
            f"The carrier list {str(path)!r} must have an 'mmsi' column. "
            f"Got {list(raw.columns)[:15]} instead."
        )
    mmsi, _ = normalize_mmsi(raw["mmsi"])
    return frozenset(mmsi.dropna())
