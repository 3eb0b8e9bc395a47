"""Flag inference from what a vessel broadcasts: IMO number, call sign and name.

The declared flag comes from a valid MMSI's MID (:func:`vessel_risk.identity.mmsi.flag_iso3`).
Where there is none (the ``150...`` MMSIs of distant-water squid jiggers, placeholders),
:func:`infer_flags` infers a flag from the identity history, never from the MMSI, so the
same function measures its own accuracy with the MID hidden
(``benchmarks/flag_inference.py``). Sources, strongest first, with their confidence:

===================================  ==========  ===============================================
source                               confidence  why
===================================  ==========  ===============================================
``imo_list``                         0.9         the IMO number stays with the hull for life;
                                                 the list's flag may be out of date (reflagging)
``callsign_list``                    0.85        a call sign is issued by the flag
                                                 administration; the list may be out of date
``itu_callsign_series``              0.75        ITU RR Appendix 42 allocates call-sign series
                                                 to administrations; AIS call signs are typed in
                                                 by crews and may be stale after reflagging, and
                                                 territories share their state's series
``name_pattern:<registry>``          per row     documented registry name rules
                                     (0.7-0.75)  (``name_patterns.csv``); sold vessels may keep
                                                 their names, net buoys carry their vessel's
``name_list``                        0.5         names are not unique
===================================  ==========  ===============================================

Confidences are judgements stated here, checked against the accuracy measured on real
AIS with the MID hidden (see the benchmark); they are not probabilities fitted to data.
Where two sources point to different flags, the strongest wins, its confidence is halved
(:data:`DISAGREEMENT_FACTOR`) and the source string says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vessel_risk.identity.lists import normalize_callsign, normalize_imo, normalize_name
from vessel_risk.identity.reference import load_table

SOURCE_RANK: dict[str, int] = {
    "imo_list": 0,
    "callsign_list": 1,
    "itu_callsign_series": 2,
    "name_pattern": 3,
    "name_list": 4,
}
"""Order of strength of the inference sources (0 strongest)."""

CONFIDENCE: dict[str, float] = {
    "imo_list": 0.9,
    "callsign_list": 0.85,
    "itu_callsign_series": 0.75,
    "name_list": 0.5,
}
"""Confidence of each source (name patterns carry theirs in ``name_patterns.csv``)."""

DISAGREEMENT_FACTOR = 0.5
"""Confidence multiplier when another source points to a different flag."""

NO_EVIDENCE = "none: no call sign, IMO or recognisable name"

OUTPUT_COLUMNS = ["mmsi", "flag_inferred_iso3", "flag_inferred_source", "flag_inferred_confidence"]

_CANDIDATE_COLUMNS = ["mmsi", "source", "rank", "iso3", "confidence", "last_seen", "messages"]


CALLSIGN = r"[A-Z0-9]{3,7}"
"""A call sign as AIS carries it: 3 to 7 letters and digits (ITU RR Article 19; the AIS
field holds 7 characters). RR No. 19.69 lists the forms of ship stations' call signs
(``UFXA``, ``BCLN2``, ``ZM2534``, ``WDD2352``); administrations also issue others
(``C6BES``, ``WQIS402``, ``5IM412``), so only the length and characters are checked,
plus :data:`WORD_CALLSIGN`."""

WORD_CALLSIGN = r"[A-Z]{6,7}"
"""Six or seven letters: a word or name typed into the field (``SEAHAWK``); no form of
call sign has more than five letters."""

PLACEHOLDER_CALLSIGNS = frozenset({"NONE", "NULL", "NIL", "TEST", "XXXX", "AAAA", "ZZZZ"})
"""Words in the call-sign field that fit the form but are not call signs."""

PLACEHOLDER_CALLSIGN = r"(?:NONE|NULL|NIL|TEST|EMPTY|NOCS|NOCALL|UNKN|SHIP|CALLSIGN).*|(.)\1+"
"""Placeholder forms: a placeholder word with anything after it (``NONE1``, ``TEST1``,
``SHIP1``, ``NOCS``) or one character repeated (``AAAAA``, ``BBBB``, ``XXXXX``)."""


def _alphabet_run(value: str) -> bool:
    """Letters in alphabetical sequence (``ABCDE``, ``BCDEF``): typed, not issued."""
    return (
        len(value) >= 4
        and value.isalpha()
        and all(ord(b) - ord(a) == 1 for a, b in zip(value, value[1:], strict=False))
    )


def callsign_problem(values: pd.Series) -> pd.Series:
    """Why each broadcast call sign cannot be one; NA where it can.

    A call sign is 3 to 7 letters and digits (:data:`CALLSIGN`) with at least one
    letter, not a word (:data:`WORD_CALLSIGN`) and not a placeholder
    (:data:`PLACEHOLDER_CALLSIGNS`, :data:`PLACEHOLDER_CALLSIGN`, an alphabet run).
    "0", "0000000", "15006" (digits only), "88%" and "WB-0000" (other characters),
    "O" (too short), "SEAHAWK", "NONE", "TEST1", "AAAAA" and "ABCDE" are not call
    signs.

    Parameters
    ----------
    values : Series of shape (n,)
        Call signs as broadcast.

    Returns
    -------
    Series of shape (n,), dtype string: ``"call sign 0 is not a call sign"`` or NA.
    """
    s = values.astype("string").str.strip().str.upper()
    ok = (
        s.str.fullmatch(CALLSIGN)
        & s.str.contains(r"[A-Z]")
        & ~s.str.fullmatch(WORD_CALLSIGN)
        & ~s.isin(list(PLACEHOLDER_CALLSIGNS))
        & ~s.str.fullmatch(PLACEHOLDER_CALLSIGN)
        & ~s.map(lambda v: _alphabet_run(v) if isinstance(v, str) else False).astype(bool)
    )
    ok = ok.fillna(False).astype(bool)
    why = "call sign " + values.astype("string").str.strip() + " is not a call sign"
    return why.where(~ok).astype("string")


def callsign_series_iso3(callsigns: pd.Series, series: pd.DataFrame | None = None) -> pd.Series:
    """Flag whose ITU call-sign series holds each call sign; NA where none does.

    The series is looked up by the first three characters (``BCLN2`` -> ``BCL``, in
    ``BAA``-``BZZ``, China). Where the third character is a digit (``ZM2534``), the
    series of the first two characters is used when ``xxA`` and ``xxZ`` agree (``ZMA``
    and ``ZMZ`` are both New Zealand), else none (``3D2...``: Eswatini or Fiji).

    Parameters
    ----------
    callsigns : Series of shape (n,)
        Valid call signs, upper case (see :func:`callsign_problem`).
    series : DataFrame, optional
        ``start``, ``end``, ``iso3``; default the ``callsign-series`` reference table.

    Returns
    -------
    Series of shape (n,), dtype string
    """
    t = load_table("callsign-series") if series is None else series
    t = t.sort_values("start")
    starts, ends = t["start"].to_numpy(str), t["end"].to_numpy(str)
    iso = t["iso3"].to_numpy(object)

    def lookup(keys: pd.Series) -> pd.Series:
        k = keys.fillna("").to_numpy(str)
        i = np.searchsorted(starts, k, side="right") - 1
        hit = (i >= 0) & (k <= ends[np.clip(i, 0, None)]) & (k != "")
        found = pd.Series(iso[np.clip(i, 0, None)], index=keys.index, dtype="string")
        return found.where(hit)

    s = callsigns.astype("string")
    head = s.str[:2]
    third = s.str[2]
    digit = third.str.isdigit().fillna(False).astype(bool)
    by_three = lookup(s.str[:3])
    low, high = lookup(head + "A"), lookup(head + "Z")
    by_two = low.where((low == high).fillna(False).astype(bool))
    return by_two.where(digit, by_three).astype("string")


def name_pattern_match(names: pd.Series, patterns: pd.DataFrame | None = None) -> pd.DataFrame:
    """The first registry name pattern each normalised name matches.

    Parameters
    ----------
    names : Series of shape (n,)
        Names normalised by :func:`vessel_risk.identity.lists.normalize_name`
        (``LURONGYUANYU715``).
    patterns : DataFrame, optional
        ``regex``, ``iso3``, ``registry``, ``confidence``; default the ``name-patterns``
        reference table. Patterns are tried in table order; a regex matches at the
        start of the name.

    Returns
    -------
    DataFrame of shape (n, 3) with ``iso3``, ``registry`` (NA where no match) and
    ``confidence`` (float, NaN where no match), on ``names``' index.
    """
    t = load_table("name-patterns") if patterns is None else patterns
    out = pd.DataFrame(
        {
            "iso3": pd.Series(pd.NA, index=names.index, dtype="string"),
            "registry": pd.Series(pd.NA, index=names.index, dtype="string"),
            "confidence": np.nan,
        }
    )
    s = names.astype("string")
    left = s.notna()
    for regex, iso3, registry, conf in zip(
        t["regex"].astype(str),
        t["iso3"].astype(str),
        t["registry"].astype(str),
        t["confidence"].astype(float),
        strict=True,
    ):
        hit = (left & s.str.match(regex).fillna(False).astype(bool)).to_numpy()
        out.loc[hit, "iso3"] = iso3
        out.loc[hit, "registry"] = registry
        out.loc[hit, "confidence"] = conf
        left &= ~hit
    return out


def _candidates(
    frame: pd.DataFrame, source: str | pd.Series, iso3: pd.Series, conf: float | pd.Series
) -> pd.DataFrame:
    hit = iso3.notna()
    f = frame[hit.to_numpy()]
    return pd.DataFrame(
        {
            "mmsi": f["mmsi"].to_numpy(),
            "source": source if isinstance(source, str) else source[hit].to_numpy(),
            "rank": SOURCE_RANK[source.split(":")[0]] if isinstance(source, str) else 3,
            "iso3": iso3[hit].to_numpy(),
            "confidence": conf if isinstance(conf, float) else conf[hit].to_numpy(),
            "last_seen": f["last_seen"].to_numpy(),
            "messages": f["messages"].to_numpy(),
        }
    )


def _list_matches(rows: pd.DataFrame, keys: pd.Series, lists: pd.DataFrame, kind: str):
    source = {"imo": "imo_list", "callsign": "callsign_list", "name": "name_list"}[kind]
    sub = lists[lists["key_type"] == kind][["key", "flag_iso3"]].drop_duplicates()
    m = rows.assign(key=keys.to_numpy()).dropna(subset=["key"]).merge(sub, on="key")
    return _candidates(m, source, m["flag_iso3"].astype("string"), CONFIDENCE[source])


def _first(values: pd.DataFrame, text: str) -> pd.Series:
    """Per MMSI, ``text`` about its most broadcast value, with "(and N more)"."""
    v = values.sort_values(["mmsi", "messages"], ascending=[True, False])
    g = v.groupby("mmsi", sort=False)
    first, more = g["value"].first(), g.size() - 1
    said = [
        text.format(v=x) + (f" (and {n} more)" if n else "")
        for x, n in zip(first.astype(str), more.reindex(first.index), strict=True)
    ]
    return pd.Series(said, index=first.index, dtype=object)


def _reasons(
    ident: pd.DataFrame, cs_bad: pd.Series, cs_noseries: pd.Series, imo_bad: pd.Series, lists: bool
) -> pd.Series:
    """Per MMSI, why no flag could be inferred (``none: ...``): what was wrong with the
    fields it sent, then those it never sent."""
    labels = {"callsign": "call sign", "imo": "IMO", "shipname": "name"}
    sent = pd.crosstab(ident["mmsi"], ident["field"]).reindex(columns=list(labels), fill_value=0)

    def absent(row: list[bool]) -> str | None:
        gone = [label for label, seen in zip(labels.values(), row, strict=True) if not seen]
        if not gone:
            return None
        return "no " + (gone[0] if len(gone) == 1 else ", ".join(gone[:-1]) + " or " + gone[-1])

    missing = pd.Series(
        [absent(r) for r in (sent > 0).to_numpy().tolist()], index=sent.index, dtype=object
    )
    parts = []
    cs = ident[ident["field"] == "callsign"]
    parts.append(
        _first(cs[cs_bad.reindex(cs.index, fill_value=False)], "call sign {v} is not a call sign")
    )
    parts.append(
        _first(
            cs[cs_noseries.reindex(cs.index, fill_value=False)], "call sign {v} is in no ITU series"
        )
    )
    imo = ident[ident["field"] == "imo"]
    parts.append(
        _first(imo[imo_bad.reindex(imo.index, fill_value=False)], "IMO {v} is not an IMO number")
    )
    good_imo = imo[~imo_bad.reindex(imo.index, fill_value=False)]
    where = "is on no vessel list with a flag" if lists else "not looked up (no vessel list given)"
    good_imo = good_imo.assign(value=normalize_imo(good_imo["value"]))
    parts.append(_first(good_imo, "IMO {v} " + where))
    names = ident[ident["field"] == "shipname"]
    parts.append(_first(names, "name {v} matches no registry pattern"))
    parts.append(missing.rename("absent"))
    table = pd.concat(parts, axis=1).astype(object)
    rows = table.where(table.notna(), None).to_numpy().tolist()
    joined = ["none: " + "; ".join(p for p in row if p) for row in rows]
    return pd.Series(joined, index=table.index, dtype="string")


def infer_flags(
    identity: pd.DataFrame,
    *,
    vessel_lists: pd.DataFrame | None = None,
    mmsis: pd.Series | list[str] | None = None,
    series: pd.DataFrame | None = None,
    patterns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Infer each vessel's flag from its IMO number, call sign and name; never the MID.

    Parameters
    ----------
    identity : DataFrame
        Identity history, :func:`vessel_risk.identity.history.identity_history`:
        ``mmsi``, ``field``, ``value``, ``first_seen``, ``last_seen``, ``messages``.
        Only the fields ``imo``, ``callsign`` and ``shipname`` are used.
    vessel_lists : DataFrame, optional
        Match keys of vessel lists that carry flags, from
        :func:`vessel_risk.identity.lists.load_vessel_list` (concatenate several). Lists
        are optional inputs a user supplies; without them, IMO numbers infer nothing.
    mmsis : sequence of str, optional
        Vessels to answer for; default those in ``identity``. A vessel absent from
        ``identity`` gets ``"none: no call sign, IMO or recognisable name"``.
    series, patterns : DataFrame, optional
        Call-sign series and name patterns; default the reference tables
        (:func:`vessel_risk.identity.reference.load_table`).

    Returns
    -------
    DataFrame with one row per MMSI, sorted: ``mmsi``, ``flag_inferred_iso3`` (string,
    NA when none), ``flag_inferred_source`` (string, always set: ``imo_list``,
    ``callsign_list``, ``itu_callsign_series``, ``name_pattern:<registry>``,
    ``name_list``, followed by ``" (disagrees: <source> says <ISO3>, ...)"`` where
    another source points elsewhere; or ``"none: <why>"``),
    ``flag_inferred_confidence`` (Float64 in 0..1, NA when none; see the module's table
    and :data:`DISAGREEMENT_FACTOR`).

    Raises
    ------
    ValueError
        If ``identity`` lacks a column above.
    """
    need = {"mmsi", "field", "value", "last_seen", "messages"}
    if not need <= set(identity.columns):
        raise ValueError(
            f"infer_flags needs an identity history with {sorted(need)}; "
            f"got {list(identity.columns)}."
        )
    ident = identity[identity["field"].isin(["imo", "callsign", "shipname"])]
    ident = ident.assign(
        value=ident["value"].astype("string"), mmsi=ident["mmsi"].astype(str).astype(object)
    )
    ident = ident[ident["value"].notna()].reset_index(drop=True)
    lists = vessel_lists if vessel_lists is not None and len(vessel_lists) else None
    found: list[pd.DataFrame] = []

    cs_rows = ident[ident["field"] == "callsign"]
    cs_bad = callsign_problem(cs_rows["value"]).notna()
    cs_ok = cs_rows[~cs_bad]
    cs_key = normalize_callsign(cs_ok["value"])
    cs_iso = callsign_series_iso3(cs_key, series)
    found.append(
        _candidates(cs_ok, "itu_callsign_series", cs_iso, CONFIDENCE["itu_callsign_series"])
    )
    imo_rows = ident[ident["field"] == "imo"]
    imo_key = normalize_imo(imo_rows["value"])
    name_rows = ident[ident["field"] == "shipname"]
    name_key = normalize_name(name_rows["value"])
    hit = name_pattern_match(name_key, patterns)
    found.append(
        _candidates(
            name_rows, "name_pattern:" + hit["registry"].fillna(""), hit["iso3"], hit["confidence"]
        )
    )
    if lists is not None:
        found.append(_list_matches(imo_rows, imo_key, lists, "imo"))
        found.append(_list_matches(cs_ok, cs_key, lists, "callsign"))
        found.append(_list_matches(name_rows, name_key, lists, "name"))
    cand = pd.concat([f for f in found if len(f)] or [pd.DataFrame(columns=_CANDIDATE_COLUMNS)])

    wanted = identity["mmsi"].astype(str) if mmsis is None else pd.Series(mmsis, dtype=str)
    everyone = pd.Index(sorted(set(wanted)), dtype=object)
    out = pd.DataFrame({"mmsi": everyone})
    out["flag_inferred_iso3"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["flag_inferred_source"] = pd.Series(NO_EVIDENCE, index=out.index, dtype="string")
    out["flag_inferred_confidence"] = pd.Series(pd.NA, index=out.index, dtype="Float64")
    out = out.set_index("mmsi", drop=False)

    if len(cand):
        best = _choose(cand)
        best = best[best.index.isin(out.index)]
        out.loc[best.index, "flag_inferred_iso3"] = best["iso3"].astype("string")
        out.loc[best.index, "flag_inferred_source"] = best["source"].astype("string")
        out.loc[best.index, "flag_inferred_confidence"] = best["confidence"].astype("Float64")

    cs_noseries = pd.Series(False, index=ident.index)
    cs_noseries.loc[cs_ok.index] = cs_iso.isna().to_numpy()
    imo_bad = pd.Series(False, index=ident.index)
    imo_bad.loc[imo_rows.index] = imo_key.isna().to_numpy()
    bad_cs = pd.Series(False, index=ident.index)
    bad_cs.loc[cs_rows.index] = cs_bad.to_numpy()
    none = out["flag_inferred_iso3"].isna()
    has_ident = out.index.isin(pd.unique(ident["mmsi"]))
    if (none & has_ident).any():
        sub = ident[ident["mmsi"].isin(set(out.index[none & has_ident]))]
        why = _reasons(sub, bad_cs, cs_noseries, imo_bad, lists is not None)
        out.loc[why.index, "flag_inferred_source"] = why
    out = out.reset_index(drop=True)[OUTPUT_COLUMNS]
    return out.astype({"mmsi": "string"})


def _choose(cand: pd.DataFrame) -> pd.DataFrame:
    """Per MMSI the strongest candidate; halved and annotated where others disagree."""
    c = cand.sort_values(
        ["mmsi", "rank", "confidence", "last_seen", "messages"],
        ascending=[True, True, False, False, False],
    )
    best = c.groupby("mmsi", sort=False).first()
    c = c.join(best["iso3"].rename("chosen"), on="mmsi")
    other = c[c["iso3"] != c["chosen"]].drop_duplicates(["mmsi", "source", "iso3"])
    if len(other):
        said = other["source"] + " says " + other["iso3"]
        note = said.groupby(other["mmsi"], sort=False).agg(", ".join)
        best.loc[note.index, "source"] = (
            best.loc[note.index, "source"] + " (disagrees: " + note + ")"
        )
        best.loc[note.index, "confidence"] = (
            best.loc[note.index, "confidence"].astype(float) * DISAGREEMENT_FACTOR
        )
    return best
