"""Presumed-victim cases in the database (referral.case_store): open, move, consent,
intake, closure and retention, on SQLite and PostgreSQL.

A withdrawn consent goes through the real outbox (:mod:`vessel_risk.delivery.cases`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import add_agency, add_case_agencies, make_intake
from vessel_risk.db.tables import (
    Agency,
    AuditEntry,
    Case,
    CaseConsent,
    CaseTransition,
    Delivery,
    as_utc,
)
from vessel_risk.delivery.cases import CONSENT_REVOKED, enqueue_case_message
from vessel_risk.referral.case_store import (
    assign_child_protection,
    child_protection_missing,
    current_consents,
    open_case,
    read_intake,
    record_consent,
    transition,
)
from vessel_risk.referral.cases import CaseError

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
OWNER = {"actor": "cw@tha-ngo", "owner_client_id": "cw-1", "owner_agency_id": "tha-ngo"}
SW = [{"role": "social_welfare", "agency_id": "tha-sw"}]


def _audit(s: Session, case_id: str) -> list[AuditEntry]:
    q = select(AuditEntry).where(AuditEntry.entity_id == case_id).order_by(AuditEntry.id)
    return list(s.scalars(q))


def test_adult_presumed_victim_gets_thailands_45_days(engine):
    with Session(engine) as s, s.begin():
        add_case_agencies(s)
        case = open_case(s, make_intake(age=34, gender="man"), now=T0, alert_id=None, **OWNER)
        case_id = case.id
    with Session(engine) as s, s.begin():
        case = s.get(Case, case_id)
        assert case is not None
        assert (case.state, case.presumed_victim, case.child) == ("reflection", True, False)
        assert case.reflection_days == 45
        assert as_utc(case.reflection_ends_at) == datetime(2026, 4, 15, 8, tzinfo=UTC)
        assert "15 victim identification centre + 30 government shelter" in case.reflection_rule
        assert case.child_protection_agency_id is None
        moves = s.scalars(
            select(CaseTransition)
            .where(CaseTransition.case_id == case_id)
            .order_by(CaseTransition.id)
        ).all()
        assert [(m.from_state, m.to_state) for m in moves] == [
            (None, "screened"),
            ("screened", "presumed_victim"),
            ("presumed_victim", "reflection"),
        ]
        assert "never as a suspect" in moves[0].rule
        assert moves[1].reason == "2 ILO forced-labour indicator(s) present"
        assert current_consents(s, case_id) == {
            "services": True,
            "referral": True,
            "law_enforcement": False,
            "consular": True,
            "transfer": False,
        }
        consents = s.scalars(select(CaseConsent).where(CaseConsent.case_id == case_id)).all()
        assert {c.interpreter_language for c in consents} == {"th"}
        fields = read_intake(s, case_id, actor="cw@tha-ngo")
        assert fields == {
            "gender": "man",
            "language": "my",
            "interpreter_language": "th",
            "age": 34,
            "indicators": {"withholding_of_wages": True, "isolation": True, "deception": False},
            "needs": ["shelter", "legal"],
        }
        entries = _audit(s, case_id)
        assert [e.action for e in entries] == [
            "case.opened",
            "case.transition",
            "case.transition",
            "case.intake_read",
        ]
        assert entries[0].actor == "cw@tha-ngo" and entries[2].actor == "system:cases"
        assert entries[0].after["intake_fields"] == sorted(fields)
        # Field names, never values, about the person.
        dumped = json.dumps([[e.reason, e.before, e.after] for e in entries])
        for value in ('"man"', '"my"', '"th"', "34", "withholding_of_wages"):
            assert value not in dumped


def test_uncertain_age_is_routed_to_child_protection_with_its_panel(engine):
    with Session(engine) as s, s.begin():
        add_case_agencies(s)
        case = open_case(s, make_intake(age=19, age_uncertain=True), now=T0, **OWNER)
        assert (case.child, case.age_uncertain) == (True, True)
        assert case.child_protection_agency_id == "tha-cp"
        assert "15 Children and Family Home Centre + 30 government shelter" in case.reflection_rule
        with pytest.raises(CaseError, match="child-protection member"):
            transition(s, case.id, "identified", actor="panel@tha", reason="decision", panel=SW)
        panel = [*SW, {"role": "child_protection", "agency_id": "tha-cp"}]
        transition(
            s,
            case.id,
            "identified",
            actor="panel@tha",
            reason="panel decision",
            panel=panel,
            now=T0 + timedelta(days=20),
        )
        move = s.scalars(
            select(CaseTransition).where(
                CaseTransition.case_id == case.id, CaseTransition.to_state == "identified"
            )
        ).one()
        assert move.panel == panel
        assert (
            move.rule
            == "panel child_protection, social_welfare (child-protection member: seed §5.2)"
        )


def test_child_without_a_child_protection_agency_still_opens_and_says_so(engine):
    with Session(engine) as s, s.begin():
        add_case_agencies(s)
        case = open_case(s, make_intake(state_iso3="MYS", age=None), now=T0, **OWNER)
        assert case.child is True and child_protection_missing(case)
        assert case.reflection_days == 30  # no rule on record for MYS: CETS 197 Art. 13
        assert case.reflection_ends_at == datetime(2026, 3, 31, 8, tzinfo=UTC)
        actions = [e.action for e in _audit(s, case.id)]
        assert "case.child_protection_required" in actions
        with pytest.raises(CaseError, match="role 'social_welfare'"):
            assign_child_protection(s, case.id, "tha-sw", actor="cw@tha-ngo")
        add_agency(s, "mys-cp", role="child_protection", country_iso3="MYS")
        assign_child_protection(s, case.id, "mys-cp", actor="cw@tha-ngo")
        assert case.child_protection_agency_id == "mys-cp"
        assert not child_protection_missing(case)


def test_an_agency_may_lengthen_the_period_never_shorten_it(engine):
    with Session(engine) as s, s.begin():
        add_case_agencies(s, idn_days=60)
        longer = open_case(s, make_intake(state_iso3="IDN", age=40), now=T0, **OWNER)
        assert longer.reflection_days == 60
        assert longer.reflection_ends_at == T0 + timedelta(days=60)
    with Session(engine) as s, s.begin():
        s.get_one(Agency, "idn-sw").reflection_period_days = 20
        shorter = open_case(s, make_intake(state_iso3="IDN", age=40), now=T0, **OWNER)
        assert shorter.reflection_days == 30


def test_not_identified_waits_for_the_period_and_closure_sets_retention(engine):
    with Session(engine) as s, s.begin():
        add_case_agencies(s)
        case = open_case(s, make_intake(age=30), now=T0, **OWNER)
        end = datetime(2026, 4, 15, 8, tzinfo=UTC)
        with pytest.raises(CaseError, match="cannot be shortened"):
            transition(
                s,
                case.id,
                "not_identified",
                actor="panel@tha",
                reason="no grounds",
                panel=SW,
                now=end - timedelta(hours=1),
            )
        with pytest.raises(CaseError, match="needs a reason"):
            transition(s, case.id, "not_identified", actor="panel@tha", reason=" ", panel=SW)
        transition(
            s,
            case.id,
            "not_identified",
            actor="panel@tha",
            reason="no grounds",
            panel=SW,
            now=end,
        )
        closed_at = end + timedelta(days=2)
        transition(s, case.id, "closed", actor="cw@tha-ngo", reason="person left", now=closed_at)
        assert case.closed_at == closed_at
        assert case.retain_until == closed_at + timedelta(days=365)
        assert read_intake(s, case.id, actor="cw", now=case.retain_until - timedelta(seconds=1))
        assert read_intake(s, case.id, actor="cw", now=case.retain_until) is None
        assert _audit(s, case.id)[-1].action == "case.intake_unavailable"
        with pytest.raises(CaseError, match="closed is final"):
            transition(s, case.id, "assistance", actor="cw", reason="reopen")
        case_id = case.id
    with Session(engine) as s, s.begin():
        # Read back from the database (naive on SQLite): still unreadable after expiry.
        stored = s.get_one(Case, case_id)
        assert read_intake(s, stored.id, actor="cw", now=datetime(2027, 4, 20, tzinfo=UTC)) is None


def test_screened_without_indicators_may_become_a_presumed_victim(engine):
    with Session(engine) as s, s.begin():
        add_case_agencies(s)
        case = open_case(s, make_intake(age=30, indicators={"deception": False}), now=T0, **OWNER)
        assert (case.state, case.presumed_victim, case.reflection_ends_at) == (
            "screened",
            False,
            None,
        )
        later = T0 + timedelta(days=3)
        transition(
            s,
            case.id,
            "presumed_victim",
            actor="cw@tha-ngo",
            reason="reasonable grounds",
            now=later,
        )
        assert (case.state, case.presumed_victim) == ("reflection", True)
        assert case.reflection_ends_at == later + timedelta(days=45)
        with pytest.raises(LookupError, match="No case"):
            transition(s, "nope", "closed", actor="cw", reason="x")


def test_withdrawn_consent_reaches_recipients(engine):
    with Session(engine) as s, s.begin():
        add_case_agencies(s)
        case = open_case(s, make_intake(age=30), now=T0, **OWNER)
        sent = enqueue_case_message(
            s,
            case,
            "tha-sw",
            "case.referral",
            {"person_fields": ["language"]},
            consent_use="services",
            actor="cw@tha-ngo",
            rule="consent:services",
            now=T0,
        )
        sent.status = "delivered"
        record_consent(s, case.id, "law_enforcement", False, actor="cw")
        # Never granted: nothing to revoke, nothing queued.
        assert sent.revoked_at is None
        assert s.scalars(select(Delivery).where(Delivery.case_id == case.id)).all() == [sent]
        record_consent(
            s,
            case.id,
            "services",
            False,
            actor="cw@tha-ngo",
            interpreter_language="th",
            now=T0 + timedelta(days=1),
        )
        assert (sent.status, sent.revoked_at is not None) == ("delivered", True)
        notice = s.scalars(
            select(Delivery).where(
                Delivery.case_id == case.id, Delivery.event_type == CONSENT_REVOKED
            )
        ).one()
        assert (notice.agency_id, notice.consent_use, notice.rule, notice.revoked_at) == (
            "tha-sw",
            None,
            "revoke:services",
            None,
        )
        assert (notice.payload["revoked_delivery_id"], notice.payload["consent_use"]) == (
            sent.id,
            "services",
        )
        revoked = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_id == sent.id, AuditEntry.action == "delivery.revoked"
            )
        ).one()
        assert (revoked.actor, revoked.reason, revoked.after["notified"]) == (
            "cw@tha-ngo",
            "consent 'services' withdrawn",
            True,
        )
        assert current_consents(s, case.id)["services"] is False
        record_consent(s, case.id, "services", True, actor="cw", now=T0 + timedelta(days=2))
        assert current_consents(s, case.id)["services"] is True
        assert len(s.scalars(select(Delivery).where(Delivery.case_id == case.id)).all()) == 2
        with pytest.raises(CaseError, match="Unknown consent use"):
            record_consent(s, case.id, "marketing", True, actor="cw")
        entry = [e for e in _audit(s, case.id) if e.action == "case.consent"][1]
        assert (entry.reason, entry.before, entry.after["granted"]) == (
            "withdrawn",
            {"use": "services", "granted": True},
            False,
        )
