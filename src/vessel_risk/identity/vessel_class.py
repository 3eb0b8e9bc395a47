"""What kind of vessel each MMSI is: fishing, carrier, fishing support, other or unknown.

Every vessel in the input used to be scored as if it were a fishing vessel; a day of
mixed traffic then gives a forced-labour alert per tanker and ferry. :func:`classify_vessels`
gives each MMSI a ``vessel_class`` with the ``vessel_class_source`` that decided it and a
human-readable ``vessel_class_evidence``; :func:`scored` says which classes go to the
alert queue by default (:data:`SCORED_CLASSES`).

Evidence, strongest first; the first that speaks decides, and evidence further down that
disagrees is named in ``vessel_class_evidence`` (never silently dropped):

1. ``carrier_list``: the MMSI is on the carrier list (GFW's reefer list,
   :func:`~vessel_risk.identity.lists.read_carriers`) -> ``carrier``. Reefers broadcast
   AIS type 70-79 (cargo); the curated list says which cargo ships are carriers.
2. ``gfw_is_fishing_vessel`` True -> ``fishing``. Global Fishing Watch's vessel
   classification (registries and its neural network on the vessel's whole track) is
   stronger than a type the crew keyed in, and stronger than a name.
3. ``name``, fishing gear: most of the MMSI's name messages look like a net buoy's
   (:func:`gear_name`: a battery level "15045-2 90%", a voltage "8V0", "NET11-...",
   "BIAO" (buoy), or a fishing vessel's name with a net index "ZHEXIANGYU82008-17")
   -> ``other``, evidence "fishing gear (net buoy)". Buoys often broadcast type 30, so
   this comes before the AIS type.
4. ``ais_shiptype`` 30 -> ``fishing``; 20-29, 31-37, 40-89 -> ``other`` (wing in ground,
   towing, dredging, diving, military, sailing, pleasure, high-speed craft, pilot, SAR,
   tug, port tender, law enforcement, medical, passenger, cargo, tanker). A name hint
   never overrides these. The type is the one most messages carried (ties: the one seen
   last); 0 (not available), 1-19 and 38-39 (reserved) and 100-255 say nothing.
5. ``name`` hints (:func:`name_hint`): carrier ("YUYUN", Chinese for fish carrier;
   "REEFER"), fishing support ("YUBU", fishery supply; "YUFU", fishery auxiliary;
   "BUNKER"), fishing (Chinese fishing-vessel names: a place prefix, "YU" and a hull
   number of 3-5 digits, "LURONGYUANYU 715", "FUYUANYU9994").
6. ``behaviour``: at least :data:`MIN_SCORED_POSITIONS` positions with a fishing score
   and at least :data:`FISHING_SHARE_MIN` of them fishing -> ``fishing``. Behaviour
   never makes a vessel ``other``: a fishing vessel seen only in transit or in port
   fishes little.
7. ``gfw_is_fishing_vessel`` False -> ``other``. Weaker than True: it may rest on a
   handful of rows of a shared MMSI (in the squid-jigger file each MMSI that carries
   False carries it on one row), and leaving a fishing vessel out of the queue is the
   costlier error.
8. ``ais_shiptype`` 90-99 ("other type") -> ``other``: weaker than names and behaviour,
   as fishing vessels also broadcast it.
9. Nothing speaks -> ``unknown``, source ``none``; the evidence says what was looked at.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

VESSEL_CLASSES = ("fishing", "carrier", "fishing_support", "other", "unknown")
"""The values of ``vessel_class``."""
VESSEL_CLASS_SOURCES = (
    "ais_shiptype",
    "gfw_is_fishing_vessel",
    "carrier_list",
    "name",
    "behaviour",
    "mmsi_form",
    "none",
)
"""The values of ``vessel_class_source``."""

NOT_A_SHIP_MMSI = {
    "00": "coast station",
    "111": "SAR aircraft",
    "99": "aid to navigation",
    "970": "AIS-SART (search and rescue transmitter)",
    "972": "man-overboard device",
    "974": "EPIRB-AIS",
}
"""MMSI forms that are no ship station (ITU-R M.585 Annex 1-3): such a transmitter is
``other`` whatever else it sends. Non-standard ship forms common in distant-water fleets
(``150...``) are not here: those are vessels."""
SCORED_CLASSES = frozenset({"fishing", "unknown", "carrier", "fishing_support"})
"""Classes that go to the alert queue by default. Carriers and fishing support vessels
are where crews of fishing vessels are transshipped and supplied; the pipeline keeps
those that meet fishing vessels. ``other`` stays out (counted, included by an option)."""

FISHING_SCORE_THRESHOLD = 0.5
"""A position is fishing when its score exceeds 0.5: GFW's cut on ``nnet_score``
(Kroodsma et al. 2018), the same as ``vessel_risk.events.fishing``'s."""
FISHING_SHARE_MIN = 0.25
"""Share of scored positions fishing from which behaviour says ``fishing``. In GFW's
labelled vessel-years of fishing vessels (``vessel_year_features_labelled.csv``, 729
rows) fishing hours are a median 57 % of hours, 28.8 % at the 25th percentile, and
at least 25 % in 78.6 % of them; vessels in transit only score near 0. Below it,
behaviour says nothing (the vessel stays ``unknown``, which is scored too)."""
MIN_SCORED_POSITIONS = 100
"""Fewest positions with a fishing score for behaviour to speak; the smallest vessel-year
in GFW's labelled set has 116 position messages."""
GEAR_NAME_SHARE = 0.5
"""Share of an MMSI's name messages that must look like gear for it to be gear."""

AIS_TYPE_LABELS = {
    20: "wing in ground",
    30: "fishing",
    31: "towing",
    32: "towing (long or wide)",
    33: "dredging or underwater operations",
    34: "diving operations",
    35: "military operations",
    36: "sailing",
    37: "pleasure craft",
    40: "high-speed craft",
    50: "pilot vessel",
    51: "search and rescue vessel",
    52: "tug",
    53: "port tender",
    54: "anti-pollution equipment",
    55: "law enforcement",
    58: "medical transport",
    59: "noncombatant ship",
    60: "passenger",
    70: "cargo",
    80: "tanker",
    90: "other type",
}
"""ITU-R M.1371-5 Table 53 ship types, by code or by the first code of a range of ten
(20-29, 40-49, 60-69, 70-79, 80-89, 90-99 share their first code's label)."""
SHIPTYPE_NAMES = {
    "wig": "20",
    "wing in ground": "20",
    "fishing": "30",
    "towing": "31",
    "towing long/wide": "32",
    "dredging": "33",
    "diving": "34",
    "military": "35",
    "sailing": "36",
    "pleasure": "37",
    "pleasure craft": "37",
    "hsc": "40",
    "high speed craft": "40",
    "pilot": "50",
    "sar": "51",
    "search and rescue": "51",
    "tug": "52",
    "port tender": "53",
    "anti-pollution": "54",
    "law enforcement": "55",
    "medical": "58",
    "not party to conflict": "59",
    "passenger": "60",
    "cargo": "70",
    "tanker": "80",
    "other": "90",
}
"""Decoders' ship type category names (lower case) to the Table 53 code they stand for,
as text: the names of the Danish Maritime Authority's CSV (``Ship type``) and of GFW
exports (``shiptype``: "Fishing"). A range of ten codes (passenger 60-69, cargo 70-79,
tanker 80-89, other 90-99) maps to its first code: the second digit (hazardous cargo)
is lost, the class is not. Names of no code ("Reserved", "Spare 1") stay as sent."""

_OUTPUT = ["mmsi", "vessel_class", "vessel_class_source", "vessel_class_evidence"]
_GEAR = re.compile(
    r"\d{1,3}\s*%"  # battery level: "15045-2 90%", "IOAN JAYA-C-49%"
    r"|\d(?:\.\d)?\s*V\d?\W*$"  # voltage: "MINHUIYU0150501--8V0", "61600020  [7.9V]"
    r"|_\d\.\d\s*$"  # voltage without V: "BINHAIYU15086-59_7.8"
    r"|\bNET\s*\d|\bBUOY\b|^BIAO\b"  # "NET11-MINXIAYU01500"; BIAO: Chinese for buoy
    r"|[A-Z]{2,}\s*\d{4,5}\s*[-_/=*]+\s*\d"  # a vessel's name, a net index: "ZHEXIANGYU82008-17"
    r"|^\d{3,6}-\d{1,3}$"  # a hull number and a net index only: "15045-12", "05554-01"
)
_BATTERY = re.compile(r"\s*\d{1,3}\s*%\s*")
"""A call sign that is a battery level ("100%"): class B buoys split it from the name."""
_CARRIER_NAME = re.compile(r"YUYUN|REEFER")
_SUPPORT_NAME = re.compile(r"YUBU\d|YUFU\d|BUNKER")
_FISHING_NAME = re.compile(r"^[A-Z]{4,}YU\d{3,5}$")


def shiptype_code(value: str) -> str:
    """One ship type as sent, as its Table 53 code text where it has one.

    Parameters
    ----------
    value : str
        "30", "30.0", "030", "Fishing", "Cargo", "Reserved"...

    Returns
    -------
    str
        The code's text for numbers and :data:`SHIPTYPE_NAMES` ("30"); the value as
        sent otherwise.
    """
    if re.fullmatch(r"\d+(\.0*)?", value.strip()):
        return str(int(float(value)))
    return SHIPTYPE_NAMES.get(value.strip().lower(), value)


def gear_name(names: pd.Series) -> pd.Series:
    """Whether each name looks like a net buoy's or other fishing gear's.

    Squid jiggers and purse seiners mark nets with AIS buoys whose names carry the
    battery level ("15045-2 90%", "LPY15176-73%"), the voltage ("SUDONGTAIYU15099-8V1",
    "BINHAIYU15086-59_7.8"), "NET", "BUOY" or "BIAO" (buoy), or the mother vessel's name
    with a net index ("ZHEXIANGYU82008-17", "MINXIAYU09856=15"): all seen in GFW's
    squid-jigger file.

    Parameters
    ----------
    names : Series of str, shape (n,)

    Returns
    -------
    Series of bool, shape (n,); NA names are False.
    """
    text = names.astype("string").str.upper()
    return text.str.contains(_GEAR, regex=True).fillna(False).astype(bool)


def name_hint(names: pd.Series) -> pd.Series:
    """The class a name alone suggests: "carrier", "fishing_support", "fishing" or NA.

    Names are reduced to A-Z and 0-9 first ("LU RONG YUAN YU 715" ->
    "LURONGYUANYU715"). Carrier: "YUYUN" (Chinese for fishery transport, fish
    carrier), "REEFER". Fishing support: "YUBU" (fishery supply) or "YUFU" (fishery
    auxiliary) followed by a number, "BUNKER" ("SUPPLY" is left out: offshore supply
    vessels of the oil industry carry it). Fishing: a place prefix of at
    least 4 letters, "YU" (fishing) and a hull number of 3-5 digits, the pattern of
    Chinese fishing vessels ("LURONGYUANYU715", "FUYUANYU9994", "LIAOSUIYU35171"). A
    shorter prefix or number ("HONGYU8") is too common among other ships' names.

    Parameters
    ----------
    names : Series of str, shape (n,)

    Returns
    -------
    Series of str (string dtype), shape (n,)
    """
    key = names.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    out = pd.Series(pd.NA, index=names.index, dtype="string")
    for label, pattern in (
        ("fishing", _FISHING_NAME),
        ("fishing_support", _SUPPORT_NAME),
        ("carrier", _CARRIER_NAME),
    ):
        out = out.mask(key.str.contains(pattern, regex=True).fillna(False), label)
    return out


def fishing_behaviour(
    positions: pd.DataFrame, *, score_threshold: float = FISHING_SCORE_THRESHOLD
) -> pd.DataFrame:
    """Per MMSI, the share of scored positions that are fishing.

    Parameters
    ----------
    positions : DataFrame of shape (n, k)
        ``mmsi`` and ``fishing_score`` (``vessel_risk.events.fishing.fishing_scores``;
        NaN where no source scored the position).
    score_threshold : float, default 0.5
        A position is fishing when its score exceeds this
        (:data:`FISHING_SCORE_THRESHOLD`).

    Returns
    -------
    DataFrame indexed by ``mmsi``
        ``fishing_share`` (float in [0, 1], NaN without a scored position) and
        ``scored_positions`` (int).

    Raises
    ------
    KeyError
        If ``positions`` lacks ``mmsi`` or ``fishing_score``.
    """
    score = positions["fishing_score"].astype("float64")
    frame = pd.DataFrame(
        {
            "mmsi": positions["mmsi"],
            "scored": score.notna(),
            "fishing": (score > score_threshold),
        }
    )
    g = frame.groupby("mmsi", sort=True)
    scored = g["scored"].sum().astype("int64")
    fishing = g["fishing"].sum()
    share = (fishing / scored.where(scored > 0)).astype("float64")
    return pd.DataFrame({"fishing_share": share, "scored_positions": scored})


def is_fishing_vessel_by_mmsi(positions: pd.DataFrame) -> pd.Series:
    """GFW's ``is_fishing_vessel`` per MMSI: the value most rows carry (a tie is True).

    GFW gives one value per vessel; an MMSI shared by several vessels may carry both.
    A tie is True so that a vessel GFW once called fishing stays scored.

    Parameters
    ----------
    positions : DataFrame
        ``mmsi`` and ``is_fishing_vessel`` (nullable boolean, as ingest reads it).

    Returns
    -------
    Series of nullable boolean indexed by ``mmsi`` (MMSIs with a value only).
    """
    flag = positions["is_fishing_vessel"].astype("boolean")
    known = flag.notna()
    if not known.any():
        return pd.Series(dtype="boolean", index=pd.Index([], name="mmsi", dtype="string"))
    f = pd.DataFrame({"mmsi": positions["mmsi"][known], "flag": flag[known].astype(bool)})
    g = f.groupby("mmsi", sort=True)["flag"]
    trues, total = g.sum(), g.size()
    return (trues * 2 >= total).astype("boolean").rename("is_fishing_vessel")


def _type_label(code: int) -> str:
    """The Table 53 label of ``code`` (1..99)."""
    if code in AIS_TYPE_LABELS:
        return AIS_TYPE_LABELS[code]
    if code // 10 in (2, 4, 6, 7, 8, 9):
        return AIS_TYPE_LABELS[code - code % 10]
    return "spare, local use" if code in (56, 57) else "reserved"


def _ship_types(history: pd.DataFrame) -> pd.DataFrame:
    """Per MMSI: the AIS type most messages carried, its label, and the others seen."""
    t = history[history["field"] == "shiptype"]
    code = pd.to_numeric(
        t["value"].astype("string").map(shiptype_code, na_action="ignore"), errors="coerce"
    )
    t = t.assign(code=code).dropna(subset=["code"])
    t = t[(t["code"] >= 1) & (t["code"] <= 99)]
    if t.empty:
        return pd.DataFrame(columns=["code", "type_text"]).rename_axis("mmsi")
    t = t.assign(code=t["code"].astype("int64"))
    per = t.groupby(["mmsi", "code"], as_index=False).agg(
        messages=("messages", "sum"), last_seen=("last_seen", "max")
    )
    per = per.sort_values(["mmsi", "messages", "last_seen"], ascending=[True, False, False])
    per["text"] = [
        f"{c} {_type_label(c)} ({m} msgs)"
        for c, m in zip(per["code"], per["messages"], strict=True)
    ]
    g = per.groupby("mmsi", sort=True)
    return pd.DataFrame({"code": g["code"].first(), "type_text": g["text"].agg("; ".join)})


def _names(history: pd.DataFrame) -> pd.DataFrame:
    """Per MMSI: the most sent name; the larger share of name or of call sign messages
    that look like gear, with an example; the hint of the most sent name with one."""
    cols = ["name", "gear_share", "gear_example", "hint", "hint_name"]
    text = history[history["field"].isin(["shipname", "callsign"])]
    if text.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="mmsi"))
    text = text.sort_values(["mmsi", "messages", "value"], ascending=[True, False, True])
    value = text["value"].astype("string")
    is_name = (text["field"] == "shipname").to_numpy()
    gear = np.where(
        is_name, gear_name(value).to_numpy(), value.str.fullmatch(_BATTERY).fillna(False)
    ).astype(bool)
    said = np.where(is_name, "name ", "call sign ") + value.map(repr).to_numpy(dtype=object)
    rows = pd.DataFrame(
        {
            "mmsi": text["mmsi"].to_numpy(),
            "field": text["field"].to_numpy(),
            "gear_messages": np.where(gear, text["messages"], 0),
            "messages": text["messages"].to_numpy(),
            "said": pd.Series(said).where(gear).to_numpy(),
        }
    )
    per = rows.groupby(["mmsi", "field"], sort=False).agg(
        gear_messages=("gear_messages", "sum"),
        messages=("messages", "sum"),
        gear_example=("said", "first"),
    )
    per["gear_share"] = per["gear_messages"] / per["messages"]
    per = per.reset_index().sort_values(["mmsi", "gear_share"], ascending=[True, False])
    out = per.groupby("mmsi", sort=True)[["gear_share", "gear_example"]].first()
    names = text[is_name]
    out["name"] = names.groupby("mmsi")["value"].first()
    hints = name_hint(names["value"])
    hinted = names[hints.notna()].assign(hint=hints[hints.notna()])
    first = hinted.groupby("mmsi")[["hint", "value"]].first()
    out["hint"] = first["hint"]
    out["hint_name"] = first["value"]
    return out[cols]


def classify_vessels(
    history: pd.DataFrame,
    *,
    mmsis: Iterable[str] | None = None,
    is_fishing_vessel: pd.Series | None = None,
    carriers: Collection[str] = (),
    behaviour: pd.DataFrame | pd.Series | None = None,
) -> pd.DataFrame:
    """Each vessel's class, the source that decided it and the evidence, per MMSI.

    The order of evidence and how conflicts are settled are in the module docstring.

    Parameters
    ----------
    history : DataFrame
        The identity history (:func:`vessel_risk.identity.history.identity_history`):
        ``mmsi``, ``field``, ``value``, ``last_seen``, ``messages``; rows of field
        ``shiptype`` (AIS type codes as text; names such as "Fishing" are read as their
        code, :func:`shiptype_code`) and ``shipname`` are used.
    mmsis : iterable of str, optional
        The vessels to classify (such as every MMSI of the positions). Default: every
        MMSI of ``history``, ``is_fishing_vessel`` and ``behaviour``.
    is_fishing_vessel : Series of nullable boolean indexed by mmsi, optional
        GFW's flag per MMSI (:func:`is_fishing_vessel_by_mmsi`).
    carriers : collection of str, default ()
        MMSIs of carriers (``References.carriers``: GFW's reefer list).
    behaviour : DataFrame or Series indexed by mmsi, optional
        :func:`fishing_behaviour`'s ``fishing_share`` and ``scored_positions``; a Series
        is taken as ``fishing_share`` alone, with no minimum number of positions.

    Returns
    -------
    DataFrame of shape (n_vessels, 4)
        ``mmsi``, ``vessel_class`` (one of :data:`VESSEL_CLASSES`),
        ``vessel_class_source`` (one of :data:`VESSEL_CLASS_SOURCES`) and
        ``vessel_class_evidence`` (str), sorted by ``mmsi``.

    Raises
    ------
    KeyError
        If ``history`` lacks one of the columns above.
    """
    flags = (
        is_fishing_vessel.astype("boolean")
        if is_fishing_vessel is not None
        else pd.Series(dtype="boolean")
    )
    if isinstance(behaviour, pd.Series):
        behaviour = pd.DataFrame(
            {"fishing_share": behaviour.astype("float64"), "scored_positions": np.nan}
        )
    if behaviour is None:
        behaviour = pd.DataFrame(
            {"fishing_share": pd.Series(dtype="float64"), "scored_positions": np.nan}
        )
    if mmsis is None:
        index = pd.Index(history["mmsi"]).union(flags.index).union(behaviour.index)
    else:
        index = pd.Index(list(mmsis))
    index = pd.Index(sorted(set(index.astype(str))), name="mmsi")
    types = _ship_types(history).reindex(index).to_dict("index")
    names = _names(history).reindex(index).to_dict("index")
    flag = flags.reindex(index).to_dict()
    share = behaviour["fishing_share"].reindex(index).to_dict()
    scored = behaviour["scored_positions"].reindex(index).to_dict()
    carrier_set = frozenset(carriers)
    rows = [
        _decide(
            mmsi in carrier_set,
            None if pd.isna(flag[mmsi]) else bool(flag[mmsi]),
            types[mmsi],
            names[mmsi],
            share[mmsi],
            scored[mmsi],
        )
        for mmsi in index
    ]
    out = pd.DataFrame(rows, columns=_OUTPUT[1:], index=index).reset_index()
    station = out["mmsi"].map(_station_of)
    form = station.notna() & (out["vessel_class"] != "other")
    out.loc[form, "vessel_class_evidence"] = (
        station[form] + "; also seen: " + out.loc[form, "vessel_class_evidence"]
    )
    out.loc[form, "vessel_class"] = "other"
    out.loc[form, "vessel_class_source"] = "mmsi_form"
    for col in _OUTPUT:
        out[col] = out[col].astype("string")
    return out[_OUTPUT]


def _station_of(mmsi: str) -> str | None:
    """What a non-ship MMSI form names (:data:`NOT_A_SHIP_MMSI`), or None."""
    for prefix, station in NOT_A_SHIP_MMSI.items():
        if mmsi.startswith(prefix):
            return f"MMSI {prefix}...: {station}, not a ship (ITU-R M.585)"
    return None


def _decide(
    on_list: bool,
    flag: bool | None,
    types: Mapping[Hashable, Any],
    names: Mapping[Hashable, Any],
    share: float,
    scored: float,
) -> tuple[str, str, str]:
    """(class, source, evidence) of one vessel, by the module's order of evidence."""
    code = None if pd.isna(types["code"]) else int(types["code"])
    seen: list[str] = []  # what else was seen, said after the deciding evidence
    if code is not None:
        seen.append(f"AIS type {types['type_text']}")
    if flag is not None:
        seen.append(f"GFW is_fishing_vessel {flag}")
    name = names["name"]
    if not pd.isna(name) and (pd.isna(names["hint_name"]) or name != names["hint_name"]):
        seen.append(f"name {name!r}")
    gear = not pd.isna(names["gear_share"]) and names["gear_share"] >= GEAR_NAME_SHARE
    hint = None if pd.isna(names["hint"]) else str(names["hint"])
    if hint is not None:
        seen.append(f"name {names['hint_name']!r} suggests {hint.replace('_', ' ')}")
    enough = pd.isna(scored) or scored >= MIN_SCORED_POSITIONS
    if not pd.isna(share):
        count = "" if pd.isna(scored) else f" of {int(scored)} scored positions"
        seen.append(f"fishing at {share:.0%}{count}")

    def said(decider: str, cls: str, source: str) -> tuple[str, str, str]:
        rest = [s for s in seen if not decider.startswith(s) and s not in decider]
        evidence = decider + (f"; also seen: {', '.join(rest)}" if rest else "")
        return cls, source, evidence

    if on_list:
        return said("on the carrier list (reefers)", "carrier", "carrier_list")
    if flag is True:
        return said("GFW is_fishing_vessel True", "fishing", "gfw_is_fishing_vessel")
    if gear:
        return said(f"fishing gear (net buoy): {names['gear_example']}", "other", "name")
    if code == 30:
        return said(f"AIS type {types['type_text']}", "fishing", "ais_shiptype")
    if code is not None and (20 <= code <= 37 or 40 <= code <= 89):
        return said(f"AIS type {types['type_text']}", "other", "ais_shiptype")
    if hint is not None:
        return said(f"name {names['hint_name']!r} suggests {hint.replace('_', ' ')}", hint, "name")
    if not pd.isna(share) and enough and share >= FISHING_SHARE_MIN:
        return said(seen[-1], "fishing", "behaviour")
    if flag is False:
        return said("GFW is_fishing_vessel False", "other", "gfw_is_fishing_vessel")
    if code is not None and code >= 90:
        return said(f"AIS type {types['type_text']}", "other", "ais_shiptype")
    why = "; ".join(seen) if seen else "no ship type, GFW flag, name or scored position"
    return "unknown", "none", f"nothing decides: {why}"


def scored(vessel_class: pd.Series) -> pd.Series:
    """Whether each vessel goes to the alert queue by default (:data:`SCORED_CLASSES`).

    Parameters
    ----------
    vessel_class : Series of str, shape (n,)

    Returns
    -------
    Series of bool, shape (n,), aligned with ``vessel_class``; NA is treated as unknown
    (scored).

    Raises
    ------
    ValueError
        If a value is not one of :data:`VESSEL_CLASSES`.
    """
    cls = vessel_class.astype("string").fillna("unknown")
    bad = sorted(set(cls) - set(VESSEL_CLASSES))
    if bad:
        raise ValueError(
            f"vessel_class values must be among {list(VESSEL_CLASSES)}. Got {bad[:5]} instead."
        )
    return cls.isin(SCORED_CLASSES).astype(bool)
