"""One vessel identity across MMSIs: ``vessel_id`` (GFW's term), the evidence of each link,
identity events per vessel-year, and pairs of MMSIs that are one hull.

A hull may broadcast several MMSIs over the years (reflagging, a new transponder, a
non-standard "150..." number next to its Chinese "412..." one) and several names
(renaming, pinyin spacing variants). Renaming, reflagging and MMSI changes are themselves
ILO indicators of deception (ILO, *Indicators of Forced Labour*, 2012; GFW and TMT
identity analyses): they only show once the MMSIs are linked into one vessel.

Linking rules, strongest first (:func:`link_vessels`); each link keeps its evidence:

1. **Same IMO number.** A valid IMO ship identification number (7 digits whose last is
   the check digit: IMO Resolution A.1117(30); SOLAS XI-1/3) stays with the hull for
   life, whatever its flag, name or MMSI. GFW's vessel identity is keyed on it where
   present (``vessel_record_id`` "AIS_based-IMO-..." in its identity tables).
2. **One hull** (:func:`one_hull_pairs`): two MMSIs seen side by side as one vessel
   (the same name within 50 m, or again and again within 20 m), passed in by the caller.
3. **Same call sign and name.** A call sign is issued by the flag state with the
   registration; together with the same normalised name it names one registration (GFW
   matches registries on name and call sign, Park et al. 2023, Sci. Adv.).
4. **Same distinctive name, one MMSI after the other.** A name alone links two MMSIs
   only as an MMSI change: the name is distinctive (letters and digits, at least
   :data:`MIN_DISTINCTIVE_CHARS` characters, not a gear buoy's battery name), no two
   MMSIs broadcast it at the same time (unless they are one hull), and the two groups'
   MMSIs were never seen at the same time. Distant-water squid jiggers swap transmitters
   and reuse names (GFW, JAC_150_vessels 2023), so a name shared at the same time says
   nothing about which hull is which.

Names are compared after :func:`clean_names`: AIS padding ("HUANBAO65@@@@@"), garbage
after long runs of blanks and buoy battery levels ("-73%") are cut, then
:func:`vessel_risk.identity.lists.normalize_name` (upper case, A-Z and 0-9 only, so
"LU RONG YUAN YU 715" equals "LURONGYUANYU715").

``vessel_id`` is the first 16 hex digits of the SHA-1 of the group's key: ``imo:<imo>``
when the group holds a valid IMO (the earliest seen, ties by number), else
``mmsi:<mmsi>`` of the MMSI seen first (ties by number). It does not depend on row
order or on other vessels in the input. It stays the same when a later run adds an MMSI
the vessel moves to (a new MMSI is seen later, so the anchor stays); it changes when a
run first sees the vessel's IMO, or sees an MMSI it used before the earliest one known.
The identity only spans what the input shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from vessel_risk.identity.lists import normalize_imo, normalize_name

MIN_DISTINCTIVE_CHARS = 8
"""Fewest characters (after normalising) of a name that may link MMSIs on its own.
Shorter names ("HHH 5", "ABCDEF", "E") recur across unrelated transmitters in the squid
fleet's static reports."""
ONE_HULL_NAME_M = 50.0
"""Median distance (m) below which two MMSIs with the same name in an encounter are one
hull: two hulls rafted together are further apart than their half-beams; issue 16."""
ONE_HULL_REPEAT_M = 20.0
"""Median distance (m) that every encounter of a pair must stay under to be one hull by
repetition; closer than the beam of a squid jigger (about 10-12 m) plus GPS error."""
ONE_HULL_MIN_ENCOUNTERS = 3
"""Encounters of a pair, all within :data:`ONE_HULL_REPEAT_M`, that make it one hull."""
VARIANT_RATIO = 0.7
"""Similarity (difflib ratio) from which a rarer name with the same hull number, seen
only while the vessel broadcast the main name, is a garbled copy of it ("HAHHHING3" of
"HAIHANG3", ratio 0.71), not a renaming."""
ID_HEX = 16
"""Hex digits of ``vessel_id``."""

_BUOY_TAIL = r"[\s\-_/]*(?:\d{1,3}\s*%|\d{1,2}V\d)\s*$"
"""A buoy's battery level at the end of its name: "-73%", "/17V3" (17.3 V)."""
_GARBLED = r"[\[\]\\^_\"&#<>?*=!;:$%]"
"""Characters of the AIS 6-bit set that no ship name uses: a name holding one is garbled."""
LINK_COLUMNS = ["vessel_id", "mmsi", "field", "value", "first_seen", "last_seen", "evidence"]
PAIR_COLUMNS = [
    "mmsi",
    "other_mmsi",
    "n_encounters",
    "max_median_distance_m",
    "first_start",
    "last_end",
    "shared_name",
    "evidence",
]


@dataclass(frozen=True)
class VesselIdentities:
    """MMSIs linked into vessels (:func:`link_vessels`).

    Attributes
    ----------
    vessel_ids : DataFrame
        One row per MMSI: ``mmsi``, ``vessel_id`` (16 hex digits).
    links : DataFrame
        The identity values that linked MMSIs: ``vessel_id``, ``mmsi``, ``field`` (imo,
        callsign, shipname, one_hull), ``value``, ``first_seen``, ``last_seen``,
        ``evidence`` (the rule, e.g. "same IMO 9123456"). MMSIs linked to nothing have
        no row.
    refused : DataFrame
        Name links not made: ``mmsi``, ``value`` (normalised name), ``reason``.
    """

    vessel_ids: pd.DataFrame
    links: pd.DataFrame
    refused: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["mmsi", "value", "reason"])
    )


def imo_valid(values: pd.Series) -> pd.Series:
    """Whether each value is a valid IMO ship identification number.

    Seven digits (an "IMO" prefix and a trailing ".0" are dropped) whose last digit is
    the check digit: the sum of the first six digits weighted 7, 6, 5, 4, 3, 2, modulo
    10 (IMO Resolution A.1117(30)). "9123456" is not valid (the sum 113 ends in 3, not
    6); "9074729" is (139 ends in 9). Placeholders 0000000, 1234567 and 9999999 are not valid.

    Parameters
    ----------
    values : Series of shape (n,)

    Returns
    -------
    Series of shape (n,), dtype bool
    """
    return normalize_imo(values).notna().astype(bool)


def clean_names(values: pd.Series) -> pd.Series:
    """Ship names reduced for linking: AIS junk cut, then normalised.

    Cut, in order: everything from the first "@" (the AIS 6-bit text pads with "@",
    ITU-R M.1371 Table 47: "HUANBAO65@@@@@" is HUANBAO65); a gear buoy's battery level
    at the end, in per cent or volts ("XSJ205-22-73%" is XSJ205-22,
    "ZHESHENGYU05853/17V3" is ZHESHENGYU05853); up to 3 characters after 2 or more
    blanks that follow a hull number, or after 4 or more blanks anywhere (bits after
    the padding: "FUYUANYU9993  TT" is FUYUANYU9993, "ABCDEF        TP" is ABCDEF;
    "SHUNHANG   2" stays SHUNHANG2). A name still holding characters no ship name
    uses (``[ ] \\ ^ _ " & # < > ? * = ! ; : $ %``, bit errors of satellite AIS such as
    "LUS=8OYUANYU277" or "B7[RT") is NA. Then
    :func:`~vessel_risk.identity.lists.normalize_name`: "LU RONG YUAN YU 715" becomes
    "LURONGYUANYU715"; names under 4 characters are NA.

    Parameters
    ----------
    values : Series of shape (n,)

    Returns
    -------
    Series of shape (n,), dtype string
    """
    text = values.astype("string")
    # The regular expressions run once per distinct name (a vessel repeats its name in
    # thousands of reports), and the results are spread back over the rows.
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    cleaned = _clean_distinct(pd.Series(uniques, dtype="string"))
    out = pd.Series(
        cleaned.array.take(codes, allow_fill=True), index=values.index, name=values.name
    )
    return out


def _clean_distinct(s: pd.Series) -> pd.Series:
    """:func:`clean_names` of distinct, non-missing names."""
    s = s.str.upper().str.replace(r"@.*$", "", regex=True)
    s = s.str.replace(_BUOY_TAIL, "", regex=True)
    s = s.str.replace(r"(?<=\d)\s{2,}\S{1,3}\s*$", "", regex=True)
    s = s.str.replace(r"\s{4,}\S{1,3}\s*$", "", regex=True)
    return normalize_name(s.where(~s.str.contains(_GARBLED, regex=True).fillna(False)))


def distinctive_names(raw: pd.Series) -> pd.Series:
    """Whether each raw name, once cleaned, may link MMSIs on its own.

    Distinctive: letters and digits both (a hull number: "LURONGYUANYU715", not
    "ABCDEF"), at least :data:`MIN_DISTINCTIVE_CHARS` characters once cleaned, and not a
    gear buoy's name (no battery level "NN%").

    Parameters
    ----------
    raw : Series of shape (n,) of names as broadcast

    Returns
    -------
    Series of shape (n,), dtype bool
    """
    name = clean_names(raw)
    buoy = raw.astype("string").str.upper().str.contains(_BUOY_TAIL, regex=True).fillna(False)
    ok = (
        name.str.len().ge(MIN_DISTINCTIVE_CHARS).fillna(False)
        & name.str.contains(r"[A-Z]", regex=True).fillna(False)
        & name.str.contains(r"\d", regex=True).fillna(False)
        & ~buoy
    )
    return ok.astype(bool)


class _Groups:
    """Union-find over MMSIs that keeps each group's members."""

    def __init__(self, mmsis: list[str]) -> None:
        self.parent = {m: m for m in mmsis}
        self._members = {m: [m] for m in mmsis}

    def find(self, m: str) -> str:
        while self.parent[m] != m:
            self.parent[m] = self.parent[self.parent[m]]
            m = self.parent[m]
        return m

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        lo, hi = sorted((ra, rb))
        self.parent[hi] = lo
        self._members[lo] += self._members.pop(hi)
        return True

    def members(self, m: str) -> list[str]:
        return self._members[self.find(m)]


def _spans(identity: pd.DataFrame) -> pd.DataFrame:
    return identity.groupby("mmsi")[["first_seen", "last_seen"]].agg(
        {"first_seen": "min", "last_seen": "max"}
    )


def _overlap(a0: pd.Timestamp, a1: pd.Timestamp, b0: pd.Timestamp, b1: pd.Timestamp) -> bool:
    return bool(a0 <= b1 and b0 <= a1)


def link_vessels(
    identity: pd.DataFrame, *, one_hull: pd.DataFrame | None = None
) -> VesselIdentities:
    """Link MMSIs into vessels by IMO, one hull, call sign and name, and name alone.

    Parameters
    ----------
    identity : DataFrame
        Identity history (:func:`vessel_risk.identity.history.identity_history`):
        ``mmsi``, ``field``, ``value``, ``first_seen``, ``last_seen``, ``messages``.
    one_hull : DataFrame, optional
        Pairs of MMSIs that are one hull (:func:`one_hull_pairs`): ``mmsi``,
        ``other_mmsi``, ``first_start``, ``last_end``, ``evidence``.

    Returns
    -------
    VesselIdentities
        ``vessel_ids`` (one row per MMSI of ``identity`` and ``one_hull``, sorted by
        MMSI) and ``links`` (the evidence of each link), the rules in the module notes.

    Raises
    ------
    ValueError
        If ``identity`` lacks a column of the identity history.
    """
    missing = {"mmsi", "field", "value", "first_seen", "last_seen"} - set(identity.columns)
    if missing:
        raise ValueError(
            f"link_vessels needs the identity history's columns; {sorted(missing)} are missing."
        )
    ident = identity.reset_index(drop=True).assign(
        mmsi=identity["mmsi"].astype(str), value=identity["value"].astype(str)
    )
    hulls = one_hull if one_hull is not None else pd.DataFrame(columns=PAIR_COLUMNS)
    hulls = hulls.assign(mmsi=hulls["mmsi"].astype(str), other_mmsi=hulls["other_mmsi"].astype(str))
    mmsis = sorted(set(ident["mmsi"]) | set(hulls["mmsi"]) | set(hulls["other_mmsi"]))
    groups = _Groups(mmsis)
    # MMSIs linked by one hull alone may have no identity report: no span (NaT), no overlap.
    spans = _spans(ident).reindex(mmsis)
    links: list[pd.DataFrame] = []

    imo = ident[(ident["field"] == "imo") & imo_valid(ident["value"])].copy()
    imo["key"] = normalize_imo(imo["value"])
    for key, rows in _shared(imo, ["key"]).groupby("key", sort=True):
        _join(groups, rows, links, f"same IMO {key}")

    hulls = hulls.sort_values(["mmsi", "other_mmsi"], ignore_index=True)
    for a, b in zip(hulls["mmsi"], hulls["other_mmsi"], strict=True):
        groups.union(str(a), str(b))
    if len(hulls):  # two links per pair, each way, pair by pair: one frame
        twice = np.repeat(np.arange(len(hulls)), 2)
        forward = np.tile([True, False], len(hulls))
        mmsi = hulls["mmsi"].to_numpy(dtype=object)[twice]
        other = hulls["other_mmsi"].to_numpy(dtype=object)[twice]
        links.append(
            pd.DataFrame(
                {
                    "mmsi": np.where(forward, mmsi, other),
                    "field": "one_hull",
                    "value": np.where(forward, other, mmsi),
                    "first_seen": hulls["first_start"].array.take(twice),
                    "last_seen": hulls["last_end"].array.take(twice),
                    "evidence": np.array(
                        [f"one hull: {e}" for e in hulls["evidence"]], dtype=object
                    )[twice],
                }
            )
        )

    names = ident[ident["field"] == "shipname"].copy()
    names["key"] = clean_names(names["value"])
    names["distinctive"] = distinctive_names(names["value"])
    names = names.dropna(subset=["key"])
    calls = ident[ident["field"] == "callsign"].copy()
    calls["key"] = calls["value"].str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    calls = calls[calls["key"].str.fullmatch(r"(?=.*[A-Z])[A-Z0-9]{3,7}")]
    pairs = calls[["mmsi", "key"]].merge(names[["mmsi", "key"]], on="mmsi", suffixes=("_c", "_n"))
    call_rows, name_rows = _rows_by_key(calls), _rows_by_key(names)
    for (call, name), rows in _shared(pairs, ["key_c", "key_n"]).groupby(
        ["key_c", "key_n"], sort=True
    ):
        sel = pd.concat(
            [
                _key_rows(calls, call_rows, str(call), rows["mmsi"]),
                _key_rows(names, name_rows, str(name), rows["mmsi"]),
            ]
        )
        _join(groups, sel, links, f"same call sign {call} and name {name}")

    refused = _link_by_name(groups, names, spans, hulls, links)
    return _result(groups, ident, spans, links, refused)


def _shared(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rows of ``frame`` whose ``keys`` more than one MMSI shares (the only ones that
    link): the keys of one MMSI, most of a run's, are never grouped one by one."""
    if frame.empty:
        return frame
    return frame[frame.groupby(keys, sort=False)["mmsi"].transform("nunique").gt(1).to_numpy()]


def _rows_by_key(frame: pd.DataFrame) -> dict[str, npt.NDArray[np.intp]]:
    """Row positions of ``frame`` by its ``key``, each in frame order: the rows of one
    key without a comparison over the whole frame per key (issue 15)."""
    indices = frame.groupby("key", sort=False).indices
    return {str(k): np.asarray(v, dtype=np.intp) for k, v in indices.items()}


def _key_rows(
    frame: pd.DataFrame,
    by_key: dict[str, npt.NDArray[np.intp]],
    key: str,
    mmsis: Iterable[str],
) -> pd.DataFrame:
    """The rows of ``frame`` with ``key`` and one of ``mmsis``, in frame order (as
    ``frame[(frame["key"] == key) & frame["mmsi"].isin(mmsis)]``)."""
    rows = frame.iloc[by_key.get(key, np.empty(0, dtype=np.intp))]
    return rows[rows["mmsi"].isin(mmsis)]


def _join(groups: _Groups, rows: pd.DataFrame, links: list[pd.DataFrame], evidence: str) -> None:
    ms = sorted(rows["mmsi"].unique())
    for m in ms[1:]:
        groups.union(ms[0], m)
    links.append(
        rows[["mmsi", "field", "value", "first_seen", "last_seen"]].assign(evidence=evidence)
    )


def _link_by_name(
    groups: _Groups,
    names: pd.DataFrame,
    spans: pd.DataFrame,
    hulls: pd.DataFrame,
    links: list[pd.DataFrame],
) -> pd.DataFrame:
    """Rule 4: a distinctive name links MMSIs one after the other (an MMSI change)."""
    hull_pairs = {frozenset(p) for p in zip(hulls["mmsi"], hulls["other_mmsi"], strict=True)}
    # Spans as a dictionary: one look-up per pair of MMSIs instead of a .loc each.
    span_of = dict(
        zip(spans.index, zip(spans["first_seen"], spans["last_seen"], strict=True), strict=True)
    )
    refused: list[dict[str, str]] = []
    name_rows = _rows_by_key(names)
    name_mmsi = names["mmsi"].to_numpy(dtype=object)
    picked: list[npt.NDArray[np.intp]] = []
    evidence: list[str] = []
    cand = names[names["distinctive"]]
    per = cand.groupby(["key", "mmsi"], sort=True).agg(
        first_seen=("first_seen", "min"), last_seen=("last_seen", "max")
    )
    for key_, rows in per.groupby(level="key", sort=True):
        key = str(key_)
        rows = rows.droplevel("key").sort_values(["first_seen"], kind="stable")
        if len(rows) < 2:
            continue
        ms = list(rows.index)
        clash = _first_clash(ms, rows, hull_pairs)
        if clash is not None:
            a, b = clash
            refused += [
                {"mmsi": m, "value": key, "reason": f"broadcast by {a} and {b} at the same time"}
                for m in ms
            ]
            continue
        for prev, m in zip(ms, ms[1:], strict=False):
            if groups.find(prev) == groups.find(m):
                continue
            both = next(
                (
                    (x, y)
                    for x in groups.members(prev)
                    for y in groups.members(m)
                    # A member joined by one hull alone may have no identity rows, so no
                    # span: no evidence of overlap.
                    if frozenset((x, y)) not in hull_pairs
                    and x in span_of
                    and y in span_of
                    and _overlap(*span_of[x], *span_of[y])
                ),
                None,
            )
            if both is not None:
                x, y = both
                refused.append(
                    {"mmsi": m, "value": key, "reason": f"{x} and {y} seen at the same time"}
                )
                continue
            groups.union(prev, m)
            evidence.append(
                f"same name {key}, MMSI change: {prev} last seen "
                f"{span_of[prev][1]:%Y-%m-%d}, {m} first seen {span_of[m][0]:%Y-%m-%d}"
            )
            # the link's rows: the name's rows of the two MMSIs, in frame order
            of_key = name_rows.get(key, np.empty(0, dtype=np.intp))
            picked.append(of_key[(name_mmsi[of_key] == prev) | (name_mmsi[of_key] == m)])
    if picked:  # one frame for all the links, in the order they were made (issue 15)
        rows_ = names.iloc[np.concatenate(picked)]
        repeat = np.repeat(np.array(evidence, dtype=object), [len(p) for p in picked])
        links.append(
            rows_[["mmsi", "field", "value", "first_seen", "last_seen"]].assign(evidence=repeat)
        )
    return pd.DataFrame(refused, columns=["mmsi", "value", "reason"])


def _first_clash(
    ms: list[str], rows: pd.DataFrame, hull_pairs: set[frozenset[str]]
) -> tuple[str, str] | None:
    """The first pair (in the order of ``ms``) of MMSIs broadcasting one name at once.

    ``rows`` holds ``first_seen``, ``last_seen`` by MMSI (the order of ``ms``); pairs of one
    hull do not count. All pairs' overlaps are one array comparison, not a .loc per pair.
    """
    first = rows["first_seen"].to_numpy(dtype="datetime64[ns]")
    last = rows["last_seen"].to_numpy(dtype="datetime64[ns]")
    # NaT compares False, as in _overlap.
    overlap = (first[:, None] <= last[None, :]) & (first[None, :] <= last[:, None])
    for i, j in np.argwhere(np.triu(overlap, k=1)):
        a, b = ms[i], ms[j]
        if frozenset((a, b)) not in hull_pairs:
            return a, b
    return None


def _result(
    groups: _Groups,
    ident: pd.DataFrame,
    spans: pd.DataFrame,
    links: list[pd.DataFrame],
    refused: pd.DataFrame,
) -> VesselIdentities:
    root = pd.Series({m: groups.find(m) for m in groups.parent}, name="root")
    imo = ident[(ident["field"] == "imo") & imo_valid(ident["value"])].copy()
    imo["key"] = normalize_imo(imo["value"])
    imo["root"] = imo["mmsi"].map(root)
    first = spans["first_seen"].reindex(root.index)
    # A vessel's key: its earliest valid IMO, else its MMSI first seen (ties by MMSI).
    # One sort of all vessels at once, then the first row of each.
    best_imo = imo.sort_values(["first_seen", "key"]).drop_duplicates("root")
    by_imo = dict(zip(best_imo["root"], "imo:" + best_imo["key"].astype(str), strict=True))
    order = pd.DataFrame({"t": first.to_numpy(), "m": root.index, "root": root.to_numpy()})
    order = order.sort_values(["t", "m"], na_position="last").drop_duplicates("root")
    by_mmsi = dict(zip(order["root"], "mmsi:" + order["m"].astype(str), strict=True))
    keys: dict[str, str] = {str(r): str(by_imo.get(r, by_mmsi[r])) for r in by_mmsi}
    vid = root.map(lambda r: hashlib.sha1(keys[str(r)].encode()).hexdigest()[:ID_HEX])
    vessel_ids = pd.DataFrame({"mmsi": root.index, "vessel_id": vid.to_numpy()})
    vessel_ids = vessel_ids.sort_values("mmsi", ignore_index=True)
    frame = pd.concat(links, ignore_index=True) if links else pd.DataFrame(columns=LINK_COLUMNS[1:])
    frame["vessel_id"] = frame["mmsi"].map(
        dict(zip(vessel_ids["mmsi"], vessel_ids["vessel_id"], strict=True))
    )
    frame = frame[LINK_COLUMNS].drop_duplicates(["mmsi", "field", "value", "evidence"])
    frame = frame.sort_values(
        ["vessel_id", "evidence", "mmsi", "field", "value"], ignore_index=True
    )
    return VesselIdentities(vessel_ids, frame, refused.reset_index(drop=True))


def one_hull_pairs(
    encounters: pd.DataFrame, identity: pd.DataFrame, *, carriers: Collection[str] = ()
) -> pd.DataFrame:
    """Pairs of MMSIs whose encounters are one hull with two transmitters, not two vessels.

    A pair is one hull when (a) both MMSIs broadcast the same cleaned name
    (:func:`clean_names`) and an encounter of theirs has a median distance within
    :data:`ONE_HULL_NAME_M` (50 m), or (b) they met at least
    :data:`ONE_HULL_MIN_ENCOUNTERS` (3) times, every time within
    :data:`ONE_HULL_REPEAT_M` (20 m). Two vessels rafted for a transshipment lie hull to
    hull, yet their GPS antennas stand tens of metres apart and they part within days
    (issue 16: "two transmitters 7 m apart for days" read as a transshipment).

    Parameters
    ----------
    encounters : DataFrame
        Encounter sides (``vessel_risk.events.schemas.EncounterSchema``, two rows per
        encounter or one): ``mmsi``, ``other_mmsi``, ``start``, ``end``,
        ``median_distance_m``.
    identity : DataFrame
        Identity history: ``mmsi``, ``field``, ``value``.
    carriers : collection of str, optional
        MMSIs of carriers (reefers).

    Returns
    -------
    DataFrame with one row per pair (``mmsi`` < ``other_mmsi``): ``mmsi``,
    ``other_mmsi``, ``n_encounters``, ``max_median_distance_m`` (m), ``first_start``,
    ``last_end`` (UTC), ``shared_name`` (NA when none), ``evidence``.
    """
    if encounters.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    e = encounters.assign(
        mmsi=encounters["mmsi"].astype(str), other=encounters["other_mmsi"].astype(str)
    )
    a = np.minimum(e["mmsi"].to_numpy(dtype=object), e["other"].to_numpy(dtype=object))
    b = np.maximum(e["mmsi"].to_numpy(dtype=object), e["other"].to_numpy(dtype=object))
    carrier = e["mmsi"].isin(set(carriers)) | e["other"].isin(set(carriers))
    if "other_is_carrier" in e.columns:
        carrier |= e["other_is_carrier"].fillna(False).astype(bool)
    e = e.assign(a=a, b=b, carrier=carrier)
    e["carrier"] = e.groupby(["a", "b"])["carrier"].transform("any")
    e = e.drop_duplicates(["a", "b", "start", "end"])
    per = e.groupby(["a", "b"], sort=True).agg(
        carrier=("carrier", "any"),
        n_encounters=("start", "size"),
        max_median_distance_m=("median_distance_m", "max"),
        min_median_distance_m=("median_distance_m", "min"),
        first_start=("start", "min"),
        last_end=("end", "max"),
    )
    # only the names of MMSIs that met are read (row by row: the same for any subset)
    met = set(per.index.get_level_values("a")) | set(per.index.get_level_values("b"))
    names = identity[(identity["field"] == "shipname") & identity["mmsi"].astype(str).isin(met)]
    key = clean_names(names["value"])
    distinctive = distinctive_names(names["value"]).to_numpy()
    own: dict[str, set[str]] = {}
    named: dict[str, set[str]] = {}
    for m, k, marked in zip(names["mmsi"].astype(str), key, distinctive, strict=True):
        if pd.notna(k):
            own.setdefault(m, set()).add(k)
            if marked:
                named.setdefault(m, set()).add(k)
    rows = []
    for r in per.reset_index().to_dict("records"):
        m, o = str(r["a"]), str(r["b"])
        shared = sorted(own.get(m, set()) & own.get(o, set()))
        name = shared[0] if shared else pd.NA
        span = f"{r['first_start']:%Y-%m-%d} to {r['last_end']:%Y-%m-%d}"
        if shared and r["min_median_distance_m"] <= ONE_HULL_NAME_M:
            ev = (
                f"{m} and {o} both named {name}, {r['min_median_distance_m']:.0f} m apart "
                f"({r['n_encounters']} encounters, {span})"
            )
        elif (
            r["n_encounters"] >= ONE_HULL_MIN_ENCOUNTERS
            and r["max_median_distance_m"] <= ONE_HULL_REPEAT_M
            and not r["carrier"]
            and not (named.get(m) and named.get(o) and not named[m] & named[o])
        ):
            ev = (
                f"{m} and {o} met {r['n_encounters']} times, always within "
                f"{r['max_median_distance_m']:.0f} m ({span})"
            )
        else:
            continue
        rows.append(
            {
                "mmsi": m,
                "other_mmsi": o,
                "n_encounters": int(r["n_encounters"]),
                "max_median_distance_m": float(r["max_median_distance_m"]),
                "first_start": r["first_start"],
                "last_end": r["last_end"],
                "shared_name": name,
                "evidence": ev,
            }
        )
    out = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    out["shared_name"] = out["shared_name"].astype("string")
    return out
