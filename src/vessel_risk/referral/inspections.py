"""Boarding and inspection outcomes (issue 17 item 1): record them, list them, and read
them back as training labels.

An inspection records what a boarding found on a vessel-year: the date and port, the
inspecting agency, the ILO forced-labour indicators observed
(:data:`~vessel_risk.referral.standards.ILO_INDICATORS`), the ILO C188 documents seen
(:data:`~vessel_risk.referral.standards.C188_DOCUMENTS`), the crew counted by
nationality (head counts only: no person is named) and the outcome: ``confirmed``
(indicators confirmed on board), ``none_found`` or ``not_boarded`` (with the reason).

:func:`outcomes_frame` turns the recorded inspections into the outcome-file interface of
:mod:`vessel_risk.model.outcomes`, so that ``vessel-risk train --outcomes-db`` feeds
them to the model as labels with provenance (``source`` =
``inspection:<id>:<agency>``); the model package itself never touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.base import as_utc, utcnow
from vessel_risk.db.tables import AlertRow, Inspection, audit
from vessel_risk.referral.standards import C188_DOCUMENTS, DOCUMENT_STATUSES, ILO_INDICATORS

INSPECTION_OUTCOMES = ("confirmed", "none_found", "not_boarded")
"""What a boarding found: forced-labour indicators confirmed on board, none found, or
the vessel was not boarded (its reason recorded)."""

TRAINING_OUTCOMES = {
    "confirmed": "confirmed",
    "none_found": "not_found",
    "not_boarded": "not_inspected",
}
"""Each inspection outcome as the outcome-file interface of
:mod:`vessel_risk.model.outcomes` names it."""

CREW_STATEMENT = (
    "The crew counted here are presumed victims of forced labour, never suspects: they "
    "must not be punished for unlawful acts they were compelled to commit "
    "(non-punishment principle, ASEAN Convention against Trafficking in Persons Art. "
    "14(7)), and protection must not depend on their cooperation with any investigation."
)
"""The non-punishment statement every inspection record and view carries."""

MAX_CREW_PER_NATIONALITY = 1000
"""The largest head count one nationality may hold on one vessel (the largest distant-
water factory ships carry a few hundred crew): a larger number is a typing error."""

FUTURE_TOLERANCE = timedelta(minutes=10)
"""How far in the future an inspection time may lie (clock skew of the inspector's
device); beyond it the time is refused."""

_MMSI = re.compile(r"^\d{9}$")
_ISO3 = re.compile(r"^[A-Z]{3}$")


class InspectionError(ValueError):
    """An inspection that does not follow the standards; the message names the field."""


def _iso3(value: str | None, name: str) -> str | None:
    if value is None or not str(value).strip():
        return None
    code = str(value).strip().upper()
    if not _ISO3.match(code):
        raise InspectionError(
            f"{name} must be an ISO 3166-1 alpha-3 code (3 letters). Got {value!r} instead."
        )
    return code


def _indicators(values: Iterable[str]) -> list[str]:
    keys = [str(v).strip() for v in values if str(v).strip()]
    bad = sorted(set(keys) - set(ILO_INDICATORS))
    if bad:
        raise InspectionError(
            "ilo_indicators must be keys of the ILO's 11 indicators "
            f"({', '.join(ILO_INDICATORS)}). Got {bad} instead."
        )
    return [k for k in ILO_INDICATORS if k in keys]  # the standard's order, once each


def _documents(values: Mapping[str, str]) -> dict[str, str]:
    bad = sorted(set(values) - set(C188_DOCUMENTS))
    if bad:
        raise InspectionError(
            f"documents_seen must be keys of the C188 checklist ({', '.join(C188_DOCUMENTS)}). "
            f"Got {bad} instead."
        )
    out = {}
    for key in C188_DOCUMENTS:
        status = str(values.get(key, "not_checked"))
        if status not in DOCUMENT_STATUSES:
            raise InspectionError(
                f"documents_seen[{key!r}] must be one of {', '.join(DOCUMENT_STATUSES)}. "
                f"Got {status!r} instead."
            )
        out[key] = status
    return out


def _crew(values: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for code, count in values.items():
        iso3 = _iso3(code, "Each crew_by_nationality key")
        assert iso3 is not None
        if isinstance(count, bool) or not isinstance(count, int):
            raise InspectionError(
                f"crew_by_nationality[{code!r}] must be a whole number of people. Got {count!r}."
            )
        if not 0 <= count <= MAX_CREW_PER_NATIONALITY:
            raise InspectionError(
                f"crew_by_nationality[{code!r}] must be between 0 and "
                f"{MAX_CREW_PER_NATIONALITY}. Got {count}."
            )
        out[iso3] = out.get(iso3, 0) + count
    return dict(sorted(out.items()))


def validate_inspection(
    *,
    mmsi: str,
    year: int,
    inspected_at: datetime,
    agency_id: str,
    outcome: str,
    ilo_indicators: Iterable[str] = (),
    documents_seen: Mapping[str, str] | None = None,
    crew_by_nationality: Mapping[str, Any] | None = None,
    not_boarded_reason: str | None = None,
    port_iso3: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The fields of an inspection checked against the standards, normalised (pure).

    Parameters
    ----------
    mmsi : str
        9 digits.
    year : int
        The vessel-year the inspection bears on: at most the inspection's year, at
        most one year before it (a boarding speaks of the voyage it ends).
    inspected_at : datetime
        When, timezone-aware; not in the future (:data:`FUTURE_TOLERANCE`).
    agency_id : str
        The inspecting agency (directory id), not empty.
    outcome : str
        One of :data:`INSPECTION_OUTCOMES`.
    ilo_indicators : iterable of str
        Keys of :data:`~vessel_risk.referral.standards.ILO_INDICATORS` observed. At
        least one for ``confirmed``; none for ``none_found`` and ``not_boarded``.
    documents_seen : mapping, optional
        C188 checklist key to ``seen``, ``missing`` or ``not_checked`` (items left out
        are ``not_checked``); all ``not_checked`` when not boarded.
    crew_by_nationality : mapping, optional
        ISO3 to head count (0 to :data:`MAX_CREW_PER_NATIONALITY`); empty when not
        boarded.
    not_boarded_reason : str, optional
        Required exactly when ``outcome`` is ``not_boarded``.
    port_iso3 : str, optional
        The port's state, ISO3.
    now : datetime, optional
        The present (tests); default now, UTC.

    Returns
    -------
    dict
        ``mmsi``, ``year``, ``inspected_at`` (UTC), ``agency_id``, ``outcome``,
        ``ilo_indicators`` (list in the standard's order), ``documents_seen`` (every
        checklist item), ``crew_by_nationality``, ``not_boarded_reason``, ``port_iso3``.

    Raises
    ------
    InspectionError
        Naming the first field that breaks a rule.
    """
    mmsi = str(mmsi).strip()
    if not _MMSI.match(mmsi):
        raise InspectionError(f"mmsi must be 9 digits. Got {mmsi!r} instead.")
    if inspected_at.tzinfo is None:
        raise InspectionError(
            "inspected_at must carry a time zone (e.g. 2026-03-01T09:00:00+07:00 or Z)."
        )
    at = as_utc(inspected_at)
    assert at is not None
    present = now or utcnow()
    if at > present + FUTURE_TOLERANCE:
        raise InspectionError(f"inspected_at {at.isoformat()} is in the future.")
    if isinstance(year, bool) or not isinstance(year, int) or not at.year - 1 <= year <= at.year:
        raise InspectionError(
            f"year must be the inspection's year ({at.year}) or the one before. Got {year!r}."
        )
    if not str(agency_id or "").strip():
        raise InspectionError("agency_id must name the inspecting agency.")
    if outcome not in INSPECTION_OUTCOMES:
        raise InspectionError(
            f"outcome must be one of {', '.join(INSPECTION_OUTCOMES)}. Got {outcome!r} instead."
        )
    indicators = _indicators(ilo_indicators)
    documents = _documents(documents_seen or {})
    crew = _crew(crew_by_nationality or {})
    reason = (not_boarded_reason or "").strip() or None
    if outcome == "confirmed" and not indicators:
        raise InspectionError(
            "A confirmed outcome needs at least one ILO indicator observed (ilo_indicators)."
        )
    if outcome != "confirmed" and indicators:
        raise InspectionError(
            f"An outcome {outcome!r} records no ILO indicator; indicators observed make it "
            "'confirmed'."
        )
    if outcome == "not_boarded":
        if reason is None:
            raise InspectionError("A not_boarded outcome needs not_boarded_reason: why.")
        if any(s != "not_checked" for s in documents.values()) or any(crew.values()):
            raise InspectionError("A vessel not boarded has no documents seen and no crew counted.")
    elif reason is not None:
        raise InspectionError("not_boarded_reason applies to a not_boarded outcome only.")
    return {
        "mmsi": mmsi,
        "year": year,
        "inspected_at": at,
        "agency_id": str(agency_id).strip(),
        "outcome": outcome,
        "ilo_indicators": indicators,
        "documents_seen": documents,
        "crew_by_nationality": crew,
        "not_boarded_reason": reason,
        "port_iso3": _iso3(port_iso3, "port_iso3"),
    }


def record_inspection(
    session: Session,
    *,
    alert_id: int | None = None,
    mmsi: str,
    year: int,
    inspected_at: datetime,
    port_label: str | None,
    port_iso3: str | None,
    agency_id: str,
    outcome: str,
    ilo_indicators: Iterable[str] = (),
    documents_seen: Mapping[str, str] | None = None,
    crew_by_nationality: Mapping[str, Any] | None = None,
    not_boarded_reason: str | None = None,
    actor: str,
    now: datetime | None = None,
) -> Inspection:
    """Record a boarding's outcome, checked against the standards, and audit it.

    Parameters
    ----------
    session : Session
        Committed by the caller.
    alert_id : int, optional
        The alert that led to the boarding; its MMSI and year must be the inspection's.
        Its ``vessel_id`` (GFW's vessel identity) is recorded with the inspection.
    mmsi, year, inspected_at, agency_id, outcome, ilo_indicators, documents_seen,
    crew_by_nationality, not_boarded_reason, port_iso3
        As :func:`validate_inspection`.
    port_label : str, optional
        The port, as the alerts name it (upper case).
    actor : str
        Who records it (audited).
    now : datetime, optional
        The present (tests).

    Returns
    -------
    Inspection
        Flushed (its ``id`` is set).

    Raises
    ------
    InspectionError
        For fields that break the standards, or an alert of another vessel-year.
    LookupError
        If there is no alert ``alert_id``.
    """
    fields = validate_inspection(
        mmsi=mmsi,
        year=year,
        inspected_at=inspected_at,
        agency_id=agency_id,
        outcome=outcome,
        ilo_indicators=ilo_indicators,
        documents_seen=documents_seen,
        crew_by_nationality=crew_by_nationality,
        not_boarded_reason=not_boarded_reason,
        port_iso3=port_iso3,
        now=now,
    )
    vessel_id = None
    if alert_id is not None:
        alert = session.get(AlertRow, alert_id)
        if alert is None:
            raise LookupError(f"No alert {alert_id}.")
        if alert.mmsi != fields["mmsi"] or int(alert.year) != fields["year"]:
            raise InspectionError(
                f"Alert {alert_id} is about {alert.mmsi} in {alert.year}, not "
                f"{fields['mmsi']} in {fields['year']}."
            )
        vessel_id = alert.vessel_id
    label = (port_label or "").strip().upper() or None
    row = Inspection(
        alert_id=alert_id,
        vessel_id=vessel_id,
        port_label=label,
        recorded_by=actor,
        recorded_at=now or utcnow(),
        **fields,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="inspection.recorded",
        entity_type="inspection",
        entity_id=row.id,
        after={
            "alert_id": alert_id,
            "mmsi": row.mmsi,
            "year": row.year,
            "port_label": label,
            "agency_id": row.agency_id,
            "outcome": row.outcome,
            "ilo_indicators": row.ilo_indicators,
            "crew_total": sum(row.crew_by_nationality.values()),
        },
    )
    return row


def list_inspections(
    session: Session,
    *,
    mmsi: str | None = None,
    agency_id: str | None = None,
    outcome: str | None = None,
    limit: int | None = None,
) -> list[Inspection]:
    """Recorded inspections, newest first, optionally of one vessel, agency or outcome."""
    stmt = select(Inspection).order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
    if mmsi:
        stmt = stmt.where(Inspection.mmsi == mmsi)
    if agency_id:
        stmt = stmt.where(Inspection.agency_id == agency_id)
    if outcome:
        stmt = stmt.where(Inspection.outcome == outcome)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def inspection_source(row: Inspection) -> str:
    """The provenance of a label from ``row``: ``inspection:<id>:<agency>``."""
    return f"inspection:{row.id}:{row.agency_id}"


def inspection_view(row: Inspection) -> dict[str, Any]:
    """A plain view of ``row`` (API, CLI), with the C188 and ILO labels and the
    non-punishment statement (:data:`CREW_STATEMENT`)."""
    return {
        "id": row.id,
        "alert_id": row.alert_id,
        "mmsi": row.mmsi,
        "vessel_id": row.vessel_id,
        "year": row.year,
        "inspected_at": as_utc(row.inspected_at),
        "port_label": row.port_label,
        "port_iso3": row.port_iso3,
        "agency_id": row.agency_id,
        "outcome": row.outcome,
        "not_boarded_reason": row.not_boarded_reason,
        "ilo_indicators": list(row.ilo_indicators or []),
        "documents_seen": dict(row.documents_seen or {}),
        "crew_by_nationality": dict(row.crew_by_nationality or {}),
        "recorded_by": row.recorded_by,
        "recorded_at": as_utc(row.recorded_at),
        "source": inspection_source(row),
        "statement": CREW_STATEMENT,
    }


OUTCOME_COLUMNS = ("vessel_id", "mmsi", "date", "outcome", "source", "inspection_id")
"""The columns of :func:`outcomes_frame`."""


def outcomes_frame(session: Session) -> pd.DataFrame:
    """Every recorded inspection as a row of the outcome-file interface of
    :mod:`vessel_risk.model.outcomes`.

    Returns
    -------
    DataFrame of shape (n_inspections, 6)
        ``vessel_id`` (None where the inspection named no alert), ``mmsi`` (9-character
        string), ``date`` (ISO 8601, UTC: the inspection time, in the vessel-year it
        bears on), ``outcome`` (``confirmed``, ``not_found`` or ``not_inspected``:
        :data:`TRAINING_OUTCOMES`), ``source`` (``inspection:<id>:<agency>``) and
        ``inspection_id``; oldest first.

    Notes
    -----
    An inspection may bear on the vessel-year before the one it happened in (a boarding
    in January ends the previous year's voyage): ``date`` is then the last second of
    that year, so that :func:`~vessel_risk.model.outcomes.labels_from_outcomes` labels
    the vessel-year the inspection is about.
    """
    rows = list(
        session.scalars(select(Inspection).order_by(Inspection.inspected_at, Inspection.id))
    )
    records = []
    for r in rows:
        at = as_utc(r.inspected_at)
        assert at is not None
        if at.year != r.year:
            at = at.replace(
                year=r.year, month=12, day=31, hour=23, minute=59, second=59, microsecond=0
            )
        records.append(
            {
                "vessel_id": r.vessel_id,
                "mmsi": r.mmsi,
                "date": at.isoformat(),
                "outcome": TRAINING_OUTCOMES[r.outcome],
                "source": inspection_source(r),
                "inspection_id": r.id,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=list(OUTCOME_COLUMNS))
    return frame.astype({"vessel_id": object, "mmsi": "string", "inspection_id": "Int64"})


@dataclass(frozen=True)
class InspectionLabels:
    """Vessel-year features labelled by recorded inspections, and how many labels came
    from them (:func:`labels_from_inspections`).

    Attributes
    ----------
    frame : DataFrame
        The features with label columns updated.
    inspections : int
        Inspections read.
    acting : int
        Of them, ``confirmed`` or ``none_found`` (``not_boarded`` changes no label).
    unmatched : int
        Acting inspections whose vessel-year the features lack.
    labelled : int
        Vessel-years whose label an inspection set or changed.
    confirmed, not_found : int
        Vessel-years labelled known offender, and known non-offender, by inspections.
    """

    frame: pd.DataFrame
    inspections: int
    acting: int
    unmatched: int
    labelled: int
    confirmed: int
    not_found: int

    def summary(self) -> str:
        """One line: what the inspections did to the labels."""
        return (
            f"{self.labelled} labels from inspections ({self.confirmed} known offenders, "
            f"{self.not_found} known non-offenders; {self.acting - self.unmatched} of "
            f"{self.acting} boarding outcomes matched a vessel-year, {self.inspections} "
            "inspections recorded)"
        )


def labels_from_inspections(features: pd.DataFrame, outcomes: pd.DataFrame) -> InspectionLabels:
    """Label vessel-year features with :func:`outcomes_frame` rows, counting what changed.

    An inspection that names an alert carries its ``vessel_id`` and is matched on it when
    the features have a ``vessel_id`` column; the others are matched on ``mmsi`` when the
    features have one (:func:`vessel_risk.model.outcomes.labels_from_outcomes` does the
    matching and its precedence: confirmed beats not found).

    Parameters
    ----------
    features : DataFrame of shape (n, k)
        Vessel-year features with ``year`` and ``vessel_id`` and/or ``mmsi``.
    outcomes : DataFrame
        :func:`outcomes_frame`.

    Returns
    -------
    InspectionLabels

    Raises
    ------
    ValueError
        From :func:`~vessel_risk.model.outcomes.labels_from_outcomes` (no ``year``,
        bad values).
    """
    from vessel_risk.model.outcomes import labels_from_outcomes, unmatched_outcomes

    out = features
    acting_mask = outcomes["outcome"].isin(["confirmed", "not_found"])
    unmatched = 0
    by_vid = outcomes["vessel_id"].notna() if "vessel_id" in features.columns else None
    parts = []
    if by_vid is not None:
        parts.append(outcomes.loc[by_vid].drop(columns=["mmsi"]))
        rest = outcomes.loc[~by_vid]
    else:
        rest = outcomes
    if "mmsi" in features.columns:
        parts.append(rest.drop(columns=["vessel_id"]))
    else:
        unmatched += int(acting_mask[rest.index].sum())
    before = features.reindex(columns=["known_offender", "known_non_offender"]).fillna(0)
    for part in parts:
        if part.empty:
            continue
        unmatched += len(unmatched_outcomes(out, part))
        out = labels_from_outcomes(out, part)
    if out is features:
        out = features.copy()
        for col in ("known_offender", "known_non_offender"):
            if col not in out.columns:
                out[col] = 0
    after = out[["known_offender", "known_non_offender"]].fillna(0)
    source = out["source_id"].astype(str) if "source_id" in out.columns else None
    from_insp = (
        source.str.startswith("inspection:")
        if source is not None
        else pd.Series(False, index=out.index)
    )
    changed = (before.to_numpy() != after.to_numpy()).any(axis=1) | from_insp.to_numpy()
    confirmed = int((changed & (after["known_offender"] == 1).to_numpy()).sum())
    not_found = int((changed & (after["known_non_offender"] == 1).to_numpy()).sum())
    return InspectionLabels(
        frame=out,
        inspections=len(outcomes),
        acting=int(acting_mask.sum()),
        unmatched=unmatched,
        labelled=int(changed.sum()),
        confirmed=confirmed,
        not_found=not_found,
    )
