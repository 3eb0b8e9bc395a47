"""How an alert names its vessel and its flag, in every place one is shown.

The API, the dashboard, the command line and the approval preview all say it the same
way: the MMSI, with its transmitter track when an MMSI was split into tracks
(``150400453 track 1``; track 0 is the first track and is not named), and the declared
flag, or the inferred flag marked as inferred with its source and confidence, or
``flag unknown: <why>``.
"""

from __future__ import annotations

import math

UNKNOWN_WHY = "no valid MID and nothing to infer a flag from"
"""What ``flag unknown`` says when no inference was recorded (older alerts)."""


def vessel_label(mmsi: str | None, track_id: int | None = 0) -> str:
    """The MMSI, with the transmitter track when it is not the first one; ``no MMSI``
    for a tip that named none.

    Examples
    --------
    >>> vessel_label("150400453", 1)
    '150400453 track 1'
    >>> vessel_label("412000001", 0)
    '412000001'
    >>> vessel_label(None)
    'no MMSI'
    """
    if mmsi is None:
        return "no MMSI"
    return f"{mmsi} track {track_id}" if track_id else mmsi


def flag_label(
    flag_iso3: str | None,
    flag_inferred_iso3: str | None = None,
    flag_inferred_source: str | None = None,
    flag_inferred_confidence: float | None = None,
) -> str:
    """The flag as a person reads it: declared, inferred (source, confidence) or unknown.

    Parameters
    ----------
    flag_iso3 : str or None
        The declared flag (from a valid MID).
    flag_inferred_iso3, flag_inferred_source : str or None
        The flag inferred without the MID and the source used; when nothing could be
        inferred the source says why (``"none: <why>"``).
    flag_inferred_confidence : float or None
        0..1.

    Examples
    --------
    >>> flag_label("CHN")
    'CHN'
    >>> flag_label(None, "CHN", "name_pattern:china_provincial", 0.8)
    'CHN (inferred from name_pattern:china_provincial, confidence 0.80)'
    >>> flag_label(None, None, "none: no IMO, call sign or name matched")
    'flag unknown: no IMO, call sign or name matched'
    """
    if flag_iso3:
        return flag_iso3
    if flag_inferred_iso3:
        conf = ""
        if flag_inferred_confidence is not None and not math.isnan(flag_inferred_confidence):
            conf = f", confidence {float(flag_inferred_confidence):.2f}"
        return (
            f"{flag_inferred_iso3} (inferred from {flag_inferred_source or 'unknown source'}{conf})"
        )
    why = (flag_inferred_source or "").strip()
    if why.startswith("none:"):
        why = why[len("none:") :].strip()
    return f"flag unknown: {why or UNKNOWN_WHY}"
