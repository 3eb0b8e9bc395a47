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


_COUNTRY_ALIASES = {
    "SOUTH KOREA": "KOR",
    "KOREA": "KOR",
    "NORTH KOREA": "PRK",
    "TAIWAN": "TWN",
    "RUSSIA": "RUS",
    "IRAN": "IRN",
    "ST. VINCENT AND THE GRENADINES": "VCT",
    "ST. KITTS AND NEVIS": "KNA",
    "ST. LUCIA": "LCA",
    "VIETNAM": "VNM",
    "TANZANIA": "TZA",
    "BOLIVIA": "BOL",
    "MOLDOVA": "MDA",
    "SYRIA": "SYR",
    "LAOS": "LAO",
    "VENEZUELA": "VEN",
    "MICRONESIA": "FSM",
    "CAPE VERDE": "CPV",
    "IVORY COAST": "CIV",
    "COTE D'IVOIRE": "CIV",
    "TURKEY": "TUR",
    "DR CONGO": "COD",
    "CONGO": "COG",
    "UK": "GBR",
    "USA": "USA",
    "UNITED STATES": "USA",
    # as in mid_flags.csv, where MID 306 (Curaçao, Sint Maarten, Caribbean Netherlands) is NLD
    "NETHERLANDS ANTILLES": "NLD",
    "NETHERLAND ANTILLIES": "NLD",
    "AZORES": "PRT",
    "MADEIRA": "PRT",
    "MADIERA": "PRT",
}
"""Country names seen in vessel lists that pycountry does not resolve by itself."""


def country_iso3(values: pd.Series) -> pd.Series:
    """Flags as written in vessel lists ("China", "Russian Federation", "KOR") to ISO3.

    ISO 3166-1 alpha-3 and alpha-2 codes and names (pycountry, plus common short
    names such as "South Korea", "Taiwan", "St. Vincent and the Grenadines") resolve;
    "Unknown", blanks and anything else become NA.

    Parameters
    ----------
    values : Series of shape (n,)

    Returns
    -------
    Series of shape (n,), dtype string
    """
    import pycountry

    def one(v: str) -> str | None:
        key = v.strip().upper()
        if key in _COUNTRY_ALIASES:
            return _COUNTRY_ALIASES[key]
        for lookup in (
            lambda: pycountry.countries.get(alpha_3=key),
            lambda: pycountry.countries.get(alpha_2=key) if len(key) == 2 else None,
            lambda: pycountry.countries.lookup(v.strip()),
        ):
            try:
                found = lookup()
            except LookupError:
                found = None
            if found is not None:
                return str(found.alpha_3)
        return None

    uniq = values.dropna().astype(str).unique()
    table = {v: one(v) for v in uniq}
    return values.map(table).astype("string")


_LIST_COLUMNS = {
    "name": ("vessel_name", "shipname", "n_shipname", "name", "all_names"),
    "imo": ("imo", "imo_number"),
    "callsign": ("ircs", "callsign", "call_sign", "n_callsign"),
    "flag": ("flag", "flag_state", "flag_iso3"),
}
"""Column names read by :func:`load_vessel_list`, per key, in order of preference."""


def normalize_imo(values: pd.Series) -> pd.Series:
    """IMO numbers as 7 digits whose check digit is right; NA otherwise.

    "IMO9709087", "9709087" and "9709087.0" all become "9709087"; "0", "12" and
    numbers failing the check digit (IMO Resolution A.1117(30): the weighted sum of the
    first six digits, weights 7 to 2, ends in the seventh) and the placeholders
    0000000, 1234567 and 9999999 become NA.

    Parameters
    ----------
    values : Series of shape (n,)

    Returns
    -------
    Series of shape (n,), dtype string
    """
    s = values.astype("string").str.upper().str.strip()
    s = s.str.replace(r"^IMO\s*", "", regex=True).str.replace(r"\.0$", "", regex=True)
    ok = s.str.fullmatch(r"\d{7}").fillna(False).astype(bool)
    digits = s.where(ok, "0000000").fillna("0000000")
    weighted = sum(digits.str[i].astype(int) * (7 - i) for i in range(6))
    check = weighted % 10 == digits.str[6].astype(int)
    placeholder = digits.isin(["0000000", "1234567", "9999999"])
    return s.where(ok & check & ~placeholder).astype("string")


def normalize_callsign(values: pd.Series) -> pd.Series:
    """Call signs reduced for matching: upper case, spaces removed; NA if empty."""
    s = values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    return s.where(s.str.len() > 0).astype("string")


def load_vessel_list(path: str | Path) -> pd.DataFrame:
    """Read a vessel list that carries flags into match keys with the listed flag.

    For flag inference (:func:`vessel_risk.identity.flags.infer_flags`). Reads the
    combined IUU list (TMT format: ``vessel_name``, ``all_names``, ``imo``, ``ircs``,
    ``flag``), GFW's reefer list (``imo``, ``call_sign``, ``flag_state``) or any CSV or
    Parquet file with a flag column and at least one of name, IMO or call sign (column
    names in :data:`_LIST_COLUMNS`). Rows whose flag does not resolve to ISO3
    ("Unknown") are left out. Such lists are optional inputs a user supplies; several
    of the public ones are non-commercial.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (optionally gzipped) or ``.parquet``.

    Returns
    -------
    DataFrame with columns ``key_type`` ("imo", "callsign", "name"), ``key``,
    ``flag_iso3``, ``listed_as`` (the listed name, or NA) and ``list`` (the file's
    name); one row per distinct (key_type, key, flag_iso3).

    Raises
    ------
    ValueError
        If the file has no flag column, or none of name, IMO, call sign.
    """
    p = Path(path)
    raw = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype=str)
    raw = raw.astype("string")

    def col(key: str) -> list[str]:
        return [c for c in _LIST_COLUMNS[key] if c in raw.columns]

    flag_cols = col("flag")
    if not flag_cols or not (col("name") or col("imo") or col("callsign")):
        raise ValueError(
            f"The vessel list {str(path)!r} needs a flag column ({_LIST_COLUMNS['flag']}) and "
            f"a name, IMO or call sign column. Got columns {list(raw.columns)[:20]} instead."
        )
    flag = country_iso3(raw[flag_cols[0]])
    listed = raw[col("name")[0]] if col("name") else pd.Series(pd.NA, index=raw.index)
    frames = []
    for c in col("name"):
        names = raw[c].str.split("|")
        part = pd.DataFrame({"key": names, "flag_iso3": flag, "listed_as": listed}).explode("key")
        frames.append(part.assign(key=normalize_name(part["key"]), key_type="name"))
    for c in col("imo"):
        frames.append(
            pd.DataFrame(
                {"key": normalize_imo(raw[c]), "flag_iso3": flag, "listed_as": listed}
            ).assign(key_type="imo")
        )
    for c in col("callsign"):
        frames.append(
            pd.DataFrame(
                {"key": normalize_callsign(raw[c]), "flag_iso3": flag, "listed_as": listed}
            ).assign(key_type="callsign")
        )
    keys = pd.concat(frames, ignore_index=True).dropna(subset=["key", "flag_iso3"])
    keys["list"] = p.name
    keys = keys[["key_type", "key", "flag_iso3", "listed_as", "list"]].astype("string")
    return keys.drop_duplicates(["key_type", "key", "flag_iso3"]).reset_index(drop=True)
