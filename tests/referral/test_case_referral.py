"""Delivery per person: protection first, one Primero case per person, consent revoked,
requeue, and personal data unreadable after expiry (issue 17 items 4, 7, 8).

Primero is the local stub server (tests/primero_stub.py), reached over real HTTP by the
real worker; agencies without an endpoint are ``manual``; webhook agencies go through
the de-duplicating FakeTransport.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.builders import (
    T0,
    FakeTransport,
    add_agency,
    add_case,
    make_notices,
    outside_ciphertext,
)
from tests.primero_stub import PrimeroStub
from vessel_risk.db.tables import (
    AuditEntry,
    Case,
    CaseIntake,
    Delivery,
    NoticePersonalData,
)
from vessel_risk.delivery import (
    NON_PUNISHMENT,
    ManualTransport,
    PrimeroTransport,
    deliver_due,
    enqueue,
    purge_expired_personal_data,
    requeue_delivery,
    revoke_deliveries,
)
from vessel_risk.referral.case_referral import refer_case
from vessel_risk.referral.notices import withdraw_notice

ADULT = "00000000-0000-4000-9000-00000000000a"
CHILD = "00000000-0000-4000-9000-00000000000c"
ADULT_FIELDS = {
    "nationality_iso3": "IDN",
    "gender": "man",
    "language": "id",
    "interpreter_language": "id",
    "age": 34,
    "needs": ["shelter", "medical", "legal_aid"],
    "indicators": {"withholding_of_wages": True, "retention_of_identity_documents": True},
}
CHILD_FIELDS = {
    "nationality_iso3": "MMR",
    "language": "my",
    "interpreter_language": "my",
    "age_band": "15-19",
    "age_uncertain": True,
    "needs": ["shelter", "family_tracing"],
    "indicators": {"physical_and_sexual_violence": True},
}


def _directory(s: Session, stub: PrimeroStub) -> None:
    add_agency(s, "phl-dswd", "webhook", country_iso3="PHL", role="social_welfare")
    add_agency(s, "phl-shelter", "manual", country_iso3="PHL", role="shelter", endpoint_url=None)
    add_agency(
        s, "phl-cp", "manual", country_iso3="PHL", role="child_protection", endpoint_url=None
    )
    add_agency(
        s,
        "phl-primero",
        "primero",
        country_iso3="PHL",
        role="nrm_case_system",
        endpoint_url=stub.url,
        secrets=[stub.credentials],
    )
    add_agency(s, "idn-consular", "webhook", country_iso3="IDN", role="consular_service")
    add_agency(s, "mmr-consular", "webhook", country_iso3="MMR", role="consular_service")
    add_agency(s, "phl-police", "webhook", country_iso3="PHL", role="law_enforcement")


def _cases(s: Session) -> None:
    # The adult consents to services and referral, not to law enforcement; says nothing
    # on consular notice (does not object). The person of uncertain age objects to it.
    add_case(
        s,
        ADULT,
        fields=ADULT_FIELDS,
        consents={"services": True, "referral": True, "law_enforcement": False},
    )
    add_case(
        s,
        CHILD,
        fields=CHILD_FIELDS,
        consents={"services": True, "referral": True, "law_enforcement": False, "consular": False},
        child=True,
    )


def _transports(webhooks: FakeTransport) -> dict:
    return {
        "primero": PrimeroTransport(timeout_s=5, allow_local=True),
        "manual": ManualTransport(),
        "webhook": webhooks,
    }


def _deliver(engine, webhooks: FakeTransport, at=T0):
    return deliver_due(
        engine, worker_id="w1", now=at, transports=_transports(webhooks), concurrency=1
    )


def _rows(engine, case_id: str) -> dict[tuple[str, str], Delivery]:
    with Session(engine) as s:
        rows = s.scalars(select(Delivery).where(Delivery.case_id == case_id)).all()
        for r in rows:
            s.expunge(r)
    return {(r.agency_id, r.event_type): r for r in rows}


@pytest.fixture
def stub():
    with PrimeroStub() as server:
        yield server


def test_protection_first_one_primero_case_per_person_and_no_police_without_consent(engine, stub):
    with Session(engine) as s, s.begin():
        _directory(s, stub)
        _cases(s)
        adult = refer_case(s, ADULT, actor="caseworker@phl", now=T0)
        child = refer_case(s, CHILD, actor="caseworker@phl", now=T0)
        assert [(d.agency_id, d.rule, d.consent_use) for d in adult] == [
            ("phl-dswd", "protection_first", "services"),
            ("phl-shelter", "protection_first", "services"),
            ("phl-primero", "consent:referral", "referral"),
            ("idn-consular", "consent:consular", "consular"),
        ]
        assert [(d.agency_id, d.rule) for d in child] == [
            ("phl-dswd", "protection_first"),
            ("phl-shelter", "protection_first"),
            ("phl-cp", "child_presumption"),
            ("phl-primero", "consent:referral"),
        ]
        # Idempotent: referring again queues nothing new.
        assert [d.id for d in refer_case(s, ADULT, actor="caseworker@phl", now=T0)] == [
            d.id for d in adult
        ]
        # The outbox holds field names, never values.
        primero_row = adult[2]
        assert "person" not in primero_row.payload
        assert "IDN" not in str(primero_row.payload)
        assert primero_row.payload["person_fields"] == list(
            (
                "nationality_iso3",
                "gender",
                "language",
                "interpreter_language",
                "age",
                "needs",
                "indicators",
            )
        )
    webhooks = FakeTransport()
    counts = _deliver(engine, webhooks)
    assert (counts.leased, counts.delivered, counts.manual, counts.dead) == (8, 5, 3, 0)
    # Zero deliveries to law enforcement for people who did not consent.
    with Session(engine) as s:
        police = s.scalar(select(func.count()).where(Delivery.agency_id == "phl-police"))
        assert police == 0
        reasons = s.scalars(
            select(AuditEntry.reason).where(AuditEntry.action == "case.referred")
        ).all()
    assert reasons == ["law_enforcement: none (no consent, no state rule)"] * 3
    assert all(m.agency_id != "phl-police" for m in webhooks.sent)
    # One Primero case per person, with the services needed and the statement.
    by_case = {c["vessel_risk_case_id"]: c for c in stub.cases.values()}
    assert sorted(by_case) == sorted([ADULT, CHILD])
    a, c = by_case[ADULT], by_case[CHILD]
    assert a["services_section"] == [
        {"service_type": "shelter"},
        {"service_type": "medical"},
        {"service_type": "legal_aid"},
    ]
    assert (a["nationality"], a["language"], a["age"]) == (["IDN"], ["id"], 34)
    assert a["vessel_risk_gender_as_stated"] == "man"
    assert a["vessel_risk_non_punishment"] == NON_PUNISHMENT
    assert (c["estimated"], c["vessel_risk_child"], c["vessel_risk_age_band"]) == (
        True,
        True,
        "15-19",
    )
    assert "age" not in c and c["nationality"] == ["MMR"]
    # The consular service gets nationality, language and needs only.
    (consular,) = [m for m in webhooks.sent if m.agency_id == "idn-consular"]
    assert consular.payload["person"] == {
        "nationality_iso3": "IDN",
        "language": "id",
        "needs": ["shelter", "medical", "legal_aid"],
    }
    assert ("POST", "/api/v2/tokens") in stub.requests


def test_a_cited_state_rule_sends_to_law_enforcement_and_the_audit_names_it(engine, stub):
    rule = {"PHL": "RA 9208 s.X (test citation)"}
    with Session(engine) as s, s.begin():
        _directory(s, stub)
        _cases(s)
        rows = refer_case(s, ADULT, actor="caseworker@phl", state_rules=rule, now=T0)
        police = [d for d in rows if d.agency_id == "phl-police"]
        assert [(d.rule, d.consent_use) for d in police] == [
            ("state_law:PHL:RA 9208 s.X (test citation)", None)
        ]
        # Law enforcement comes last, after protection.
        assert rows[-1].agency_id == "phl-police"
        assert police[0].payload["person_fields"] == [
            "nationality_iso3",
            "language",
            "interpreter_language",
            "indicators",
        ]
        reason = s.scalar(select(AuditEntry.reason).where(AuditEntry.action == "case.referred"))
    assert reason == "law_enforcement phl-police by state_law:PHL:RA 9208 s.X (test citation)"


def test_withdrawn_consent_reaches_exactly_the_recipients_that_got_data(engine, stub):
    with Session(engine) as s, s.begin():
        _directory(s, stub)
        _cases(s)
        refer_case(s, ADULT, actor="caseworker@phl", now=T0)
    webhooks = FakeTransport()
    _deliver(engine, webhooks)
    later = T0 + timedelta(days=2)
    with Session(engine) as s, s.begin():
        # services: phl-dswd received it (webhook); phl-shelter is manual, never handed over.
        services = revoke_deliveries(s, ADULT, "services", actor="caseworker@phl", now=later)
        referral = revoke_deliveries(s, ADULT, "referral", actor="caseworker@phl", now=later)
        assert [d.agency_id for d in services] == ["phl-dswd"]
        assert [d.agency_id for d in referral] == ["phl-primero"]
    rows = _rows(engine, ADULT)
    assert rows[("phl-shelter", "case.referral")].status == "cancelled"
    assert rows[("phl-dswd", "case.referral")].status == "delivered"
    for agency in ("phl-dswd", "phl-shelter", "phl-primero"):
        assert rows[(agency, "case.referral")].revoked_at is not None
    assert rows[("idn-consular", "case.referral")].revoked_at is None
    counts = _deliver(engine, webhooks, at=later)
    assert (counts.leased, counts.delivered) == (2, 2)
    (revoked_msg,) = [m for m in webhooks.sent if m.event_type == "case.consent_revoked"]
    assert revoked_msg.agency_id == "phl-dswd"
    assert revoked_msg.payload["revoked_delivery_id"] == rows[("phl-dswd", "case.referral")].id
    primero_case_id = rows[("phl-primero", "case.referral")].id
    assert stub.cases[primero_case_id]["vessel_risk_consent_revoked"] is True
    assert stub.cases[primero_case_id]["vessel_risk_consent_revoked_use"] == "referral"
    assert ("PATCH", f"/api/v2/cases/{primero_case_id}") in stub.requests
    # A revoked row is never requeued.
    with Session(engine) as s, s.begin(), pytest.raises(ValueError, match="revoked"):
        requeue_delivery(s, rows[("phl-shelter", "case.referral")].id, actor="a", reason="again")


def test_requeue_of_a_dead_case_delivery_delivers_once(engine, stub):
    with Session(engine) as s, s.begin():
        _directory(s, stub)
        _cases(s)
        refer_case(s, CHILD, actor="caseworker@phl", now=T0)
    stub.fail_next = [400]  # a permanent refusal: dead at once
    _deliver(engine, FakeTransport())
    dead = _rows(engine, CHILD)[("phl-primero", "case.referral")]
    assert dead.status == "dead" and stub.cases == {}
    with Session(engine) as s, s.begin():
        requeue_delivery(s, dead.id, actor="admin@phl", reason="Primero form fixed", now=T0)
    counts = _deliver(engine, FakeTransport())
    assert (counts.leased, counts.delivered) == (1, 1)
    assert list(stub.cases) == [dead.id]
    assert _deliver(engine, FakeTransport()).leased == 0
    with Session(engine) as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == dead.id).order_by(AuditEntry.id)
        ).all()
    assert actions == [
        "delivery.enqueued",
        "delivery.dead",
        "delivery.requeued",
        "delivery.delivered",
    ]


def test_notice_withdrawal_reaches_every_agency_that_received_it(engine):
    with Session(engine) as s, s.begin():
        (notice,) = make_notices(s, 1)
        a = add_agency(s, "tha-md")
        b = add_agency(s, "chl-nrm", country_iso3="CHL", role="nrm_case_system")
        c = add_agency(s, "arg-pna", "manual", country_iso3="ARG", endpoint_url=None)
        enqueue(s, notice, [(a, "flag_state"), (b, "port_state"), (c, "coastal_state")], now=T0)
        notice_id = notice.id
    webhooks = FakeTransport({})
    # tha-md and chl-nrm receive it; arg-pna waits for a person (manual).
    _deliver(engine, webhooks)
    with Session(engine) as s, s.begin():
        withdraw_notice(s, notice_id, actor="approver@tha", reason="wrong vessel-year")
    with Session(engine) as s:
        rows = s.scalars(select(Delivery).where(Delivery.notice_id == notice_id)).all()
        got = sorted((r.agency_id, r.event_type, r.status) for r in rows)
    assert got == [
        ("arg-pna", "referral_notice.created", "cancelled"),
        ("chl-nrm", "referral.withdrawn", "pending"),
        ("chl-nrm", "referral_notice.created", "delivered"),
        ("tha-md", "referral.withdrawn", "pending"),
        ("tha-md", "referral_notice.created", "delivered"),
    ]
    counts = _deliver(engine, webhooks, at=None)  # withdrawn now, by the clock
    assert (counts.leased, counts.delivered) == (2, 2)
    withdrawn = [m for m in webhooks.sent if m.event_type == "referral.withdrawn"]
    assert sorted(m.agency_id for m in withdrawn) == ["chl-nrm", "tha-md"]
    assert {m.payload["reason"] for m in withdrawn} == {"wrong vessel-year"}


def test_personal_data_is_unreadable_after_expiry_and_purged(engine, stub, monkeypatch):
    from cryptography.fernet import Fernet

    from vessel_risk.referral.personal_data import add_personal_data, read_personal_data

    monkeypatch.setenv("VESSEL_RISK_SECRET_KEY", Fernet.generate_key().decode())

    expires = T0 + timedelta(days=10)
    with Session(engine) as s, s.begin():
        _directory(s, stub)
        _cases(s)
        s.get(Case, ADULT).retain_until = expires
        refer_case(s, ADULT, actor="caseworker@phl", now=T0)
        (notice,) = make_notices(s, 1)
        notice_id = notice.id
        add_personal_data(
            s, notice_id, {"crew_count": 24}, actor="a", consent=True, retention_days=1
        )
        s.execute(NoticePersonalData.__table__.update().values(retain_until=expires))
    after = expires + timedelta(seconds=1)
    # Past retention, before any purge: the worker sends nothing and readers see nothing.
    counts = _deliver(engine, FakeTransport(), at=after)
    assert (counts.leased, counts.dead, counts.delivered) == (4, 4, 0)
    assert stub.cases == {}
    with Session(engine) as s, s.begin():
        assert read_personal_data(s, notice_id, actor="a", now=after) == []
        with pytest.raises(ValueError, match="past retention"):
            refer_case(s, ADULT, actor="caseworker@phl", now=after)
        assert purge_expired_personal_data(s, T0) == {
            "notice_personal_data": 0,
            "case_intakes": 0,
            "case_follow_ups": 0,
            "tips": 0,
        }
        assert purge_expired_personal_data(s, after) == {
            "notice_personal_data": 1,
            "case_intakes": 1,
            "case_follow_ups": 0,
            "tips": 0,
        }
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CaseIntake)) == 1  # the other case
        assert s.get(CaseIntake, ADULT) is None
        raw = s.execute(text("SELECT fields FROM case_intakes")).scalars().all()
        assert "MMR" not in outside_ciphertext(raw)  # encrypted at rest
        assert s.scalar(select(func.count()).select_from(NoticePersonalData)) == 0
        dumped = " ".join(str(d.payload) for d in s.scalars(select(Delivery)))
        assert "IDN" not in dumped and "legal_aid" not in dumped
        purged = s.scalars(
            select(AuditEntry.before).where(AuditEntry.action == "case.personal_data_purged")
        ).all()
    assert purged == [{"fields": sorted(ADULT_FIELDS)}]


def test_a_case_opened_by_the_case_store_is_referred_and_a_withdrawal_revokes_it(engine, stub):
    """The case store's screening and consents (s17case) with this delivery, by the clock."""
    from tests.builders import make_intake
    from vessel_risk.referral.case_store import open_case, record_consent

    with Session(engine) as s, s.begin():
        add_agency(s, "tha-sw", "webhook", role="social_welfare")
        add_agency(s, "tha-police", "webhook", role="law_enforcement")
        add_agency(
            s,
            "tha-primero",
            "primero",
            role="nrm_case_system",
            endpoint_url=stub.url,
            secrets=[stub.credentials],
        )
        form = make_intake(age=30, nationality_iso3="MMR")
        case = open_case(s, form, actor="cw@tha", owner_client_id="cw", owner_agency_id="tha-sw")
        case_id = case.id
        rows = refer_case(s, case_id, actor="cw@tha")
        assert [(d.agency_id, d.rule) for d in rows] == [
            ("tha-sw", "protection_first"),
            ("tha-primero", "consent:referral"),
        ]
    webhooks = FakeTransport()
    assert _deliver(engine, webhooks, at=None).delivered == 2
    (created,) = stub.cases.values()
    assert created["vessel_risk_case_id"] == case_id
    assert created["services_section"] == [{"service_type": "shelter"}, {"service_type": "legal"}]
    assert created["language"] == ["my"] and created["nationality"] == ["MMR"]
    with Session(engine) as s, s.begin():
        record_consent(s, case_id, "referral", False, actor="cw@tha", interpreter_language="th")
    assert _deliver(engine, webhooks, at=None).delivered == 1
    assert stub.cases[created["id"]]["vessel_risk_consent_revoked"] is True
    assert [m.agency_id for m in webhooks.sent] == ["tha-sw"]  # services not withdrawn
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(Delivery.agency_id == "tha-police")) == 0
