"""Follow-ups and transfers of a person's case (referral.case_tasks), on SQLite and
PostgreSQL; their messages go through the real outbox (:mod:`vessel_risk.delivery.cases`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import add_case_agencies, make_intake
from vessel_risk.db.tables import AuditEntry, CaseFollowUp, Delivery, as_utc
from vessel_risk.delivery.cases import DATA_USE, NON_PUNISHMENT
from vessel_risk.referral.case_store import (
    case_transfers,
    complete_follow_up,
    notify_overdue,
    open_case,
    overdue_follow_ups,
    record_consent,
    request_transfer,
    transition,
    update_transfer,
)
from vessel_risk.referral.cases import CaseError

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
OWNER = {"actor": "cw@tha-ngo", "owner_client_id": "cw-1", "owner_agency_id": "tha-ngo"}
PANEL = [{"role": "social_welfare", "agency_id": "tha-sw"}]
HELPED = datetime(2026, 5, 10, 9, tzinfo=UTC)
IACAT = {"individual_recovery": "in_progress", "economic_reintegration": "not_started"}


def _assisted_case(s: Session, **kw) -> str:
    add_case_agencies(s)
    case = open_case(s, make_intake(age=30, **kw), now=T0, **OWNER)
    transition(
        s,
        case.id,
        "identified",
        actor="panel",
        reason="grounds",
        panel=PANEL,
        now=T0 + timedelta(days=30),
    )
    transition(s, case.id, "assistance", actor="cw@tha-ngo", reason="shelter", now=HELPED)
    return case.id


def test_follow_ups_at_3_6_12_months_completed_with_iacat_and_overdue(engine):
    with Session(engine) as s, s.begin():
        case_id = _assisted_case(s)
        rows = s.scalars(
            select(CaseFollowUp)
            .where(CaseFollowUp.case_id == case_id)
            .order_by(CaseFollowUp.months)
        ).all()
        assert [(f.months, as_utc(f.due_at)) for f in rows] == [
            (3, datetime(2026, 8, 10, 9, tzinfo=UTC)),
            (6, datetime(2026, 11, 10, 9, tzinfo=UTC)),
            (12, datetime(2027, 5, 10, 9, tzinfo=UTC)),
        ]
        done = complete_follow_up(
            s, case_id, 3, IACAT, actor="cw@tha-ngo", now=datetime(2026, 8, 12, tzinfo=UTC)
        )
        assert done.indicators == {
            "individual_recovery": "in_progress",
            "economic_reintegration": "not_started",
        }
        with pytest.raises(CaseError, match="already recorded"):
            complete_follow_up(
                s, case_id, 3, IACAT, actor="cw", now=datetime(2026, 8, 13, tzinfo=UTC)
            )
        with pytest.raises(CaseError, match="due 2026-11-10"):
            complete_follow_up(
                s, case_id, 6, IACAT, actor="cw", now=datetime(2026, 8, 13, tzinfo=UTC)
            )
        with pytest.raises(CaseError, match="Unknown IACAT statuses"):
            complete_follow_up(
                s,
                case_id,
                6,
                {"legal_rights": "done"},
                actor="cw",
                now=datetime(2026, 11, 10, tzinfo=UTC),
            )
        with pytest.raises(CaseError, match="Unknown IACAT indicators"):
            complete_follow_up(
                s,
                case_id,
                6,
                {"obedience": "achieved"},
                actor="cw",
                now=datetime(2026, 11, 10, tzinfo=UTC),
            )
        with pytest.raises(LookupError, match="no 9-month follow-up"):
            complete_follow_up(
                s, case_id, 9, IACAT, actor="cw", now=datetime(2026, 11, 10, tzinfo=UTC)
            )
        late = datetime(2026, 11, 20, tzinfo=UTC)
        assert [f.months for f in overdue_follow_ups(s, late)] == [6]
        assert overdue_follow_ups(s, late, owner_client_id="someone-else") == []
        assert overdue_follow_ups(s, datetime(2026, 11, 10, 8, tzinfo=UTC)) == []
        notified = notify_overdue(s, late)
        assert [(f.months, as_utc(f.notified_at)) for f in notified] == [(6, late)]
        assert notify_overdue(s, late + timedelta(days=1)) == []
        message = s.scalars(select(Delivery).where(Delivery.case_id == case_id)).one()
        assert (
            message.agency_id,
            message.event_type,
            message.consent_use,
            message.rule,
            message.revoked_at,
        ) == ("tha-ngo", "case.follow_up_overdue.6m", None, "follow_up_overdue:case_owner", None)
        assert message.payload == {
            "case_id": case_id,
            "months": 6,
            "due_at": "2026-11-10T09:00:00+00:00",
            "presumed_victim_statement": NON_PUNISHMENT,
            "data_use": DATA_USE,
        }
        queued = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_id == message.id, AuditEntry.action == "delivery.enqueued"
            )
        ).one()
        assert (queued.actor, queued.after["event_type"], queued.after["fields"]) == (
            "system:follow_ups",
            "case.follow_up_overdue.6m",
            [],
        )
        entries = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_id == case_id, AuditEntry.action.like("case.follow_up%")
            )
        ).all()
        assert [e.action for e in entries] == ["case.follow_up_done", "case.follow_up_overdue"]
        assert entries[0].after == {
            "months": 3,
            "indicators": list(done.indicators),
            "days_late": 1,
        }
        assert "in_progress" not in json.dumps(entries[0].after)


def test_retention_from_closure_outlasts_the_12_month_follow_up(engine):
    with Session(engine) as s, s.begin():
        case_id = _assisted_case(s)
        closed_at = HELPED + timedelta(days=10)
        case = transition(s, case_id, "integration", actor="cw", reason="stays", now=closed_at)
        case = transition(s, case_id, "closed", actor="cw", reason="integrated", now=closed_at)
        # Last follow-up due 2027-05-10 09:00; retention 365 days after it.
        assert as_utc(case.retain_until) == datetime(2028, 5, 9, 9, tzinfo=UTC)
        assert as_utc(case.retain_until) > datetime(2027, 5, 10, 9, tzinfo=UTC)
        twelve = complete_follow_up(
            s, case_id, 12, IACAT, actor="cw", now=datetime(2027, 5, 12, tzinfo=UTC)
        )
        assert twelve.done_at is not None
        with pytest.raises(CaseError, match="past its retention"):
            complete_follow_up(
                s, case_id, 6, IACAT, actor="cw", now=datetime(2028, 5, 9, 9, tzinfo=UTC)
            )
        assert overdue_follow_ups(s, datetime(2028, 5, 9, 9, tzinfo=UTC)) == []


def test_transfer_needs_consent_and_carries_only_agreed_fields(engine):
    with Session(engine) as s, s.begin():
        case_id = _assisted_case(s, nationality_iso3="MMR", gender="man")
        agreed = ["nationality_iso3", "language", "age_band"]
        args = (s, case_id, "mmr-nrm", "repatriation", agreed)
        with pytest.raises(CaseError, match="consent 'transfer'"):
            request_transfer(*args, actor="cw@tha-ngo")
        record_consent(s, case_id, "transfer", True, actor="cw@tha-ngo", interpreter_language="th")
        with pytest.raises(CaseError, match="Unknown intake fields"):
            request_transfer(
                s,
                case_id,
                "mmr-nrm",
                "repatriation",
                ["passport_number"],
                actor="cw",
            )
        with pytest.raises(CaseError, match="another state's mechanism"):
            request_transfer(
                s,
                case_id,
                "tha-sw",
                "repatriation",
                ["language"],
                actor="cw",
            )
        with pytest.raises(CaseError, match="Unknown transfer purpose"):
            request_transfer(
                s,
                case_id,
                "mmr-nrm",
                "deportation",
                ["language"],
                actor="cw",
            )
        assert s.scalars(select(Delivery).where(Delivery.case_id == case_id)).all() == []
        transfer = request_transfer(*args, actor="cw@tha-ngo")
        assert (transfer.to_iso3, transfer.status, transfer.fields) == (
            "MMR",
            "requested",
            ["language", "nationality_iso3"],
        )
        sent = s.get_one(Delivery, transfer.delivery_id)
        assert (sent.case_id, sent.agency_id, sent.event_type, sent.consent_use) == (
            case_id,
            "mmr-nrm",
            "case.transfer",
            "transfer",
        )
        # Only the names of the agreed fields the intake holds (age_band: none); the
        # values are read from the encrypted intake when the worker sends.
        assert "person" not in sent.payload
        assert sent.payload["person_fields"] == ["language", "nationality_iso3"]
        assert "never as a suspect" in sent.payload["presumed_victim_statement"]
        assert '"man"' not in json.dumps(sent.payload)
        assert '"my"' not in json.dumps(sent.payload)
        with pytest.raises(CaseError, match="cannot move from 'requested' to 'completed'"):
            update_transfer(s, transfer.id, "completed", actor="mmr-nrm")
        for status in ("sent", "accepted", "completed"):
            update_transfer(s, transfer.id, status, actor="mmr-nrm")
        assert [t.status for t in case_transfers(s, case_id)] == ["completed"]
        with pytest.raises(CaseError, match="none \\(final\\)"):
            update_transfer(s, transfer.id, "declined", actor="mmr-nrm")
        actions = [
            (e.action, e.after.get("status") if e.after else None)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.entity_id == case_id))
            if e.action.startswith("case.transfer")
        ]
        assert actions == [
            ("case.transfer_requested", None),
            ("case.transfer_status", "sent"),
            ("case.transfer_status", "accepted"),
            ("case.transfer_status", "completed"),
        ]


def test_reflection_deadlines_soonest_first(engine):
    from vessel_risk.referral.case_store import cases_in_reflection, reflection_phases

    with Session(engine) as s, s.begin():
        add_case_agencies(s)
        thai = open_case(s, make_intake(age=30), now=T0, **OWNER)  # 45 days
        malay = open_case(s, make_intake(age=30, state_iso3="MYS"), now=T0, **OWNER)  # 30
        open_case(s, make_intake(age=30, indicators={}), now=T0, **OWNER)  # screened only
        other = {**OWNER, "owner_client_id": "cw-2"}
        open_case(s, make_intake(age=30), now=T0 + timedelta(days=1), **other)
        assert [c.id for c in cases_in_reflection(s, owner_client_id="cw-1")] == [
            malay.id,
            thai.id,
        ]
        assert len(cases_in_reflection(s)) == 3
        assert reflection_phases(thai) == [
            ("victim identification centre", datetime(2026, 3, 16, 8, tzinfo=UTC)),
            ("government shelter", datetime(2026, 4, 15, 8, tzinfo=UTC)),
        ]
        child = open_case(s, make_intake(age=15), now=T0, **OWNER)
        assert reflection_phases(child)[0] == (
            "Children and Family Home Centre",
            datetime(2026, 3, 16, 8, tzinfo=UTC),
        )
        assert reflection_phases(malay) == [
            ("reflection and recovery", datetime(2026, 3, 31, 8, tzinfo=UTC))
        ]
