"""Vessel identity: MMSI form and validity, flag state from the MID, IUU-list matching.

Sources: ITU-R M.585 (MMSI structure: ships' MMSIs are 9 digits whose first digit
is 2-7 and whose first three digits are the Maritime Identification Digits, MID, of
the flag); the ITU table of MIDs, carried as ``identity/data/mid_flags.csv``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from vessel_risk.identity.reference import mid_dict

MMSI_LENGTH = 9


PLACEHOLDER_MMSIS = frozenset(
    {"000000000", "111111111", "123456789", "987654321", "999999999", "012345678"}
)
"""MMSIs seen as placeholders in the field; never a real ship (ITU-R M.585)."""


_DIGITS = re.compile(r"^\d+$")


def normalize_mmsi(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Turn MMSIs read as integers, floats or strings into 9-character strings.

    Integers lose leading zeros when a file stores MMSI as a number; they are
    zero-padded back to 9 digits ("9123456" becomes "009123456"). Short strings such
    as "12345" are padded too (and marked invalid by :func:`mmsi_valid`).

    Parameters
    ----------
    values : Series of shape (n,)
        Raw MMSI values of any dtype.

    Returns
    -------
    mmsi : Series of shape (n,), dtype str
        The 9-character MMSI, or NA where the value cannot be one.
    reason : Series of shape (n,), dtype str
        NA where ``mmsi`` is set, otherwise why not: ``"missing_mmsi"`` or
        ``"mmsi_not_numeric_9_digits"``.
    """
    if pd.api.types.is_float_dtype(values):
        as_int = values.where(values.notna() & (values == np.floor(values)))
        s = as_int.astype("Int64").astype("string")
    else:
        s = values.astype("string").str.strip()
        s = s.str.replace(r"\.0$", "", regex=True)
    missing = s.isna() | (s == "")
    ok = ~missing & s.str.fullmatch(r"\d{1,9}").fillna(False).astype(bool)
    mmsi = s.where(ok).str.zfill(MMSI_LENGTH)
    reason = pd.Series(pd.NA, index=values.index, dtype="string")
    reason[missing.to_numpy()] = "missing_mmsi"
    reason[(~missing & ~ok).to_numpy()] = "mmsi_not_numeric_9_digits"
    return mmsi.astype("string"), reason


def mid_table() -> dict[str, str]:
    """Maritime Identification Digits to the flag state's ISO 3166-1 alpha-3 code.

    Read through :mod:`vessel_risk.identity.reference`: a table refreshed with
    ``vessel-risk reference refresh mid FILE`` is used instead of the shipped one.

    Returns
    -------
    dict
        ``{"412": "CHN", "567": "THA", ...}`` (cached per file; do not modify).
    """
    return mid_dict()


def mmsi_valid(mmsi: pd.Series) -> pd.Series:
    """Whether each MMSI is a plausible ship station identity.

    Valid means: 9 digits as sent (not a zero-padded short number), first digit 2-7,
    a MID the ITU has allocated, and not a known placeholder. Non-standard prefixes
    common in distant-water fleets ("150...", "100...") are invalid.

    Parameters
    ----------
    mmsi : Series of shape (n,) of 9-character strings

    Returns
    -------
    Series of shape (n,), dtype bool
    """
    s = mmsi.astype("string")
    mids = mid_table()
    ok = (
        s.str.fullmatch(r"[2-7]\d{8}").fillna(False).astype(bool)
        & s.str[:3].isin(list(mids)).fillna(False).astype(bool)
        & ~s.isin(list(PLACEHOLDER_MMSIS)).fillna(False).astype(bool)
    )
    return ok.astype(bool)


def flag_iso3(mmsi: pd.Series) -> pd.Series:
    """Flag state (ISO3) from the MMSI's MID; NA where the MMSI is not valid.

    Parameters
    ----------
    mmsi : Series of shape (n,) of 9-character strings

    Returns
    -------
    Series of shape (n,), dtype string
    """
    s = mmsi.astype("string")
    flags = s.str[:3].map(mid_table()).astype("string")
    return flags.where(mmsi_valid(s)).astype("string")
