"""Referral notices: created from an alert, approved, routed, clocked, withdrawn."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.builders import (
    make_alert,
    record_alerts,
    record_inferred_alert,
    shared_file,
)
from vessel_risk.db.tables import AlertRow, AuditEntry, Delivery, ReferralNotice
from vessel_risk.delivery import delivery_history
from vessel_risk.geo.ports import PortIndex, read_ports
from vessel_risk.referral.directory import load_directory, psma_port_authorities
from vessel_risk.referral.follow_ups import FOLLOW_UP_MONTHS
from vessel_risk.referral.notices import (
    NoticeError,
    approve_notice,
    auto_refer,
    create_notice,
    due_reminders,
    notice_html,
    withdraw_notice,
)
from vessel_risk.referral.routing import AgencyRecord

PERSONAL_KEYS = {
    "name",
    "full_name",
    "given_name",
    "family_name",
    "passport",
    "passport_number",
    "date_of_birth",
    "birth_date",
    "crew",
    "crew_list",
    "crew_names",
    "phone",
    "email",
    "address",
    "photo",
    "nationality",
    "seafarer_id",
}


def _directory(session, **nrm):
    records = [
        AgencyRecord(id="chn-msa", name="MSA", country_iso3="CHN", role="maritime_authority"),
        AgencyRecord(
            id="chl-nrm",
            name="NRM Chile",
            country_iso3="CHL",
            role="nrm_case_system",
            transport="webhook",
            endpoint_url="http://127.0.0.1:9/hook",
            secrets=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            reflection_period_days=45,
            **nrm,
        ),
    ]
    return load_directory(session, records, actor="admin@test")


def test_notice_from_an_alert_is_approved_routed_and_clocked(engine):
    record_alerts(engine, [make_alert()])
    with Session(engine) as s, s.begin():
        assert _directory(s) == {"added": 2, "updated": 0, "unchanged": 0}
        alert_id = s.scalars(select(AlertRow.id)).one()
        notice = create_notice(s, alert_id, actor="analyst@chl")
        notice_id = notice.id
        assert s.get(AlertRow, alert_id).status == "under_review"
    with Session(engine) as s, s.begin():
        approved = approve_notice(s, notice_id, actor="approver@chl")
        assert approved.status == "approved" and approved.approved_by == "approver@chl"
        assert approved.reflection_period_days == 45  # the port state's own period
        assert approved.reflection_ends_at - approved.approved_at == timedelta(days=45)
        assert [f["months"] for f in approved.follow_ups] == list(FOLLOW_UP_MONTHS)
        assert approved.payload["reflection_recovery"]["period_days"] == 45
        assert len(approved.payload["follow_ups_due"]) == 3
        with pytest.raises(NoticeError, match="only a draft"):
            approve_notice(s, notice_id, actor="approver@chl")
    with Session(engine) as s:
        assert s.get(AlertRow, alert_id).status == "referred"
        deliveries = {d.agency_id: d.rule for d in s.scalars(select(Delivery))}
        assert deliveries == {"chn-msa": "flag_state", "chl-nrm": "port_state"}
        history = delivery_history(s, notice_id)
        assert [h["status"] for h in history] == ["pending", "pending"]
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        lifecycle = [a for a in actions if a.startswith(("notice.", "alert.status"))]
        assert lifecycle == ["alert.status", "notice.created", "alert.status", "notice.approved"]
        approved_at = s.get(ReferralNotice, notice_id).approved_at
        due = due_reminders(s, now=approved_at + timedelta(days=44))
        assert [r["kind"] for r in due] == ["reflection_period_ends"]
        due = due_reminders(s, now=approved_at + timedelta(days=200))
        assert [r["kind"] for r in due] == ["follow_up_3_months", "follow_up_6_months"]
    with Session(engine) as s, s.begin():
        withdrawn = withdraw_notice(s, notice_id, actor="approver@chl", reason="wrong vessel")
        assert withdrawn.status == "withdrawn"
        with pytest.raises(NoticeError, match="already withdrawn"):
            withdraw_notice(s, notice_id, actor="approver@chl", reason="again")
    with Session(engine) as s:
        assert {h["status"] for h in delivery_history(s, notice_id)} == {"cancelled"}
        alert = s.get(AlertRow, alert_id)
        assert alert.status == "under_review"  # its only notice was withdrawn
        assert alert.status_reason == f"notice {notice_id} withdrawn: wrong vessel"


def test_notices_need_evidence_and_a_matching_agency(engine):
    record_alerts(
        engine,
        [
            make_alert(mmsi="412000001", tier="insufficient data", score=0.9),
            make_alert(mmsi="412000002", rank=2, flag_iso3="VUT"),
        ],
    )
    with Session(engine) as s, s.begin():
        ids = {m: i for m, i in s.execute(select(AlertRow.mmsi, AlertRow.id))}
        with pytest.raises(NoticeError, match="insufficient data"):
            create_notice(s, ids["412000001"], actor="analyst@chl")
        with pytest.raises(NoticeError, match="alpha-3"):
            create_notice(
                s, ids["412000002"], actor="analyst@chl", crew_nationalities_iso3=["IDN,PHL"]
            )
        notice = create_notice(s, ids["412000002"], actor="analyst@chl")
        # no agency loaded at all
        with pytest.raises(NoticeError, match="No agency in the directory"):
            approve_notice(s, notice.id, actor="approver@chl")


def test_auto_referral_only_where_an_agency_rule_allows(engine):
    record_alerts(
        engine, [make_alert(), make_alert(mmsi="412000002", rank=2, tier="low", score=0.2)]
    )
    with Session(engine) as s, s.begin():
        _directory(s, auto_refer=True)
        notices = auto_refer(s)
        assert len(notices) == 1 and notices[0].automatic
        assert notices[0].approved_by == "rule:chl-nrm"
    with Session(engine) as s:
        assert [d.agency_id for d in s.scalars(select(Delivery))] == ["chl-nrm"]


def _walk(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}", k
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")


@pytest.mark.slow
def test_real_high_risk_squid_jigger_notice_json_html_routes_and_no_personal_data(
    squid_run, tmp_path
):
    out, _ = squid_run
    engine = create_engine(f"sqlite:///{out / 'vessel_risk.db'}")
    ports = PortIndex(read_ports(shared_file("data", "ports", "gfw_named_anchorages.csv.gz")))
    psma = psma_port_authorities(shared_file("data", "ports", "psma_designated_ports.csv"))
    consulates = [
        AgencyRecord(id=f"{c.lower()}-consular", name=c, country_iso3=c, role="consular_service")
        for c in ("IDN", "PHL")
    ]
    nrm = AgencyRecord(id="chl-nrm", name="NRM", country_iso3="CHL", role="nrm_case_system")
    argentina = AgencyRecord(
        id="arg-pna", name="Prefectura Naval", country_iso3="ARG", role="maritime_authority"
    )
    with Session(engine) as s, s.begin():
        load_directory(s, [*psma, *consulates, nrm, argentina], actor="admin@test")
        top = s.scalars(
            select(AlertRow).where(AlertRow.tier == "high").order_by(AlertRow.rank)
        ).first()
        assert (top.mmsi, top.year, top.last_port_label) == ("150400453", 2021, "PUNTA ARENAS")
        notice = create_notice(
            s, top.id, actor="analyst@chl", ports=ports, crew_nationalities_iso3=["IDN", "PHL"]
        )
        approve_notice(s, notice.id, actor="approver@chl")
        payload = notice.payload
        routes = {d.agency_id: d.rule for d in s.scalars(select(Delivery))}
    assert routes == {
        "psma-chl-servicio-nacional-de-pesca-y-acuicultura": "port_state",
        "chl-nrm": "port_state",
        "arg-pna": "coastal_state",
        "idn-consular": "crew_consular",
        "phl-consular": "crew_consular",
    }
    # Southwest Atlantic, Strait of Magellan, and the Sea of Japan on the way to Busan
    assert payload["coastal_states_iso3"] == ["ARG", "CHL", "JPN", "KOR"]
    assert payload["personal_data_included"] is False
    assert "presumed victims" in payload["presumed_victims"]
    assert payload["vessel"]["mmsi"] == "150400453" and payload["risk"]["tier"] == "high"
    assert payload["indicators"] and all(i["ilo_indicator"] for i in payload["indicators"])
    assert sum(i["evidence_events_total"] for i in payload["indicators"]) > 0
    assert len(payload["inspection_checks"]) == 7
    assert payload["inspection_checks"][1].startswith("Identity documents held by the crew")
    keys = {k.lower() for _, k in _walk(payload)}
    assert not keys & PERSONAL_KEYS, keys & PERSONAL_KEYS
    html = notice_html(payload)
    assert payload["reflection_recovery"]["period_days"] == 30
    assert "30 days, 20" in html  # the approved period with its dates
    assert "presumed victims" in html and "PUNTA ARENAS" in html and "ILO C188" in html
    assert "http" not in html.replace("http-equiv", "")  # self-contained, nothing fetched
    (tmp_path / "notice.json").write_text(json.dumps(payload, indent=2))
    (tmp_path / "notice.html").write_text(html)


@pytest.mark.slow
def test_run_refers_automatically_only_for_an_agency_whose_rule_allows(tmp_path):
    from typer.testing import CliRunner

    from vessel_risk.cli import app
    from vessel_risk.db.engine import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(url)
    migrate(engine)
    auto = AgencyRecord(
        id="chl-nrm",
        name="NRM Chile",
        country_iso3="CHL",
        role="nrm_case_system",
        auto_refer=True,
        filters={"min_tier": "high"},
    )
    with Session(engine) as s, s.begin():
        load_directory(s, [auto], actor="admin@test")
    args = ["run", "--ais", str(shared_file("data", "ais", "squid_jiggers_2020_2023.parquet"))]
    args += ["--ports", str(shared_file("data", "ports", "gfw_named_anchorages.csv.gz"))]
    args += ["--iuu-list", str(shared_file("data", "vessels", "combined_iuu_list_2026-04.csv"))]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out"), "--db", url])
    assert result.exit_code == 0, result.output
    assert "2 referral notices approved automatically" in result.output
    with Session(engine) as s:
        referred = s.execute(
            select(AlertRow.mmsi, AlertRow.track_id, AlertRow.year).where(
                AlertRow.status == "referred"
            )
        ).all()
        # Tiers follow inspection capacity (model.combine.tiers): of the 38 vessel-years
        # with enough data, the top 5 % (2) are high: track 0 of 150400453, IUU-listed, in
        # 2021 and 2022, last in a Chilean port, the agency's scope. Its track 1 and
        # 150402949 (2021) are medium, below the agency's min_tier.
        assert sorted(referred) == [("150400453", 0, 2021), ("150400453", 0, 2022)]
        notices = s.scalars(select(ReferralNotice)).all()
        assert {n.approved_by for n in notices} == {"rule:chl-nrm"}
        assert all(n.automatic for n in notices)
        assert {d.agency_id for d in s.scalars(select(Delivery))} == {"chl-nrm"}


def _record_inferred(engine) -> None:
    record_inferred_alert(engine)


def test_routing_by_an_inferred_flag_is_refused_until_a_person_confirms_it(engine):
    from vessel_risk.referral.notices import preview_notice

    _record_inferred(engine)
    with Session(engine) as s, s.begin():
        _directory(s)
        alert_id = s.scalars(select(AlertRow.id)).one()
        notice_id = create_notice(s, alert_id, actor="analyst@chl").id
    with Session(engine) as s:
        preview = preview_notice(s, notice_id)
        assert preview["vessel"] == "150400453 track 1"
        assert preview["flag"]["basis"] == "inferred"
        assert preview["flag"]["label"] == (
            "CHN (inferred from name_pattern:china_provincial, confidence 0.80)"
        )
        assert [(r["agency_id"], r["needs_confirmation"]) for r in preview["routes"]] == [
            ("chn-msa", True),
            ("chl-nrm", False),
        ]
        assert preview["needs_confirmation"] is True and preview["confirmation"] is None
        assert preview["unmatched"] == [
            "crew_consular (CHN): no active consular_service of CHN in the directory takes "
            "this notice"
        ]
    with Session(engine) as s, s.begin():
        with pytest.raises(NoticeError, match="inferred flag CHN .*confirm"):
            approve_notice(s, notice_id, actor="approver@chl")
    with Session(engine) as s:
        assert s.get(ReferralNotice, notice_id).status == "draft"
        assert s.scalars(select(Delivery)).all() == []
    with Session(engine) as s, s.begin():
        n = approve_notice(s, notice_id, actor="approver@chl", confirm_inferred_flag=True)
        confirmation = n.payload["routing"]["inferred_flag_confirmation"]
        assert confirmation["by"] == "approver@chl"
        assert (confirmation["flag_iso3"], confirmation["confidence"]) == ("CHN", 0.8)
        assert confirmation["source"] == "name_pattern:china_provincial"
        assert confirmation["agencies"] == ["chn-msa"]
        assert n.payload["routing"]["flag"]["basis"] == "inferred"
    with Session(engine) as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "notice.inferred_flag_confirmed")
        ).one()
        assert (entry.actor, entry.entity_id) == ("approver@chl", notice_id)
        assert entry.after["flag_iso3"] == "CHN"
        assert {d.agency_id: d.rule for d in s.scalars(select(Delivery))} == {
            "chn-msa": "flag_state",
            "chl-nrm": "port_state",
        }
        # what the agencies receive says the flag was inferred and confirmed
        sent = s.scalars(select(Delivery).where(Delivery.agency_id == "chn-msa")).one().payload
        assert json.dumps(sent).count("inferred_flag_confirmation") == 1
        assert preview_notice(s, notice_id)["needs_confirmation"] is False


def test_a_declared_flag_is_approved_without_confirmation(engine):
    record_alerts(engine, [make_alert()])  # 412000001, flag CHN from its MID
    with Session(engine) as s, s.begin():
        _directory(s)
        notice_id = create_notice(s, s.scalars(select(AlertRow.id)).one(), actor="a@chl").id
        n = approve_notice(s, notice_id, actor="approver@chl")
        assert n.payload["routing"]["flag"] == {
            "iso3": "CHN",
            "basis": "declared",
            "source": "mid",
            "confidence": None,
            "label": "CHN",
        }
        assert "inferred_flag_confirmation" not in n.payload["routing"]
    with Session(engine) as s:
        actions = s.scalars(select(AuditEntry.action)).all()
        assert "notice.inferred_flag_confirmed" not in actions
        assert {d.agency_id for d in s.scalars(select(Delivery))} == {"chn-msa", "chl-nrm"}


def test_auto_referral_never_routes_by_an_unconfirmed_inferred_flag(engine):
    _record_inferred(engine)
    with Session(engine) as s, s.begin():
        load_directory(
            s,
            [
                AgencyRecord(
                    id="chn-msa",
                    name="MSA",
                    country_iso3="CHN",
                    role="maritime_authority",
                    auto_refer=True,
                ),
                AgencyRecord(
                    id="chl-nrm",
                    name="NRM Chile",
                    country_iso3="CHL",
                    role="nrm_case_system",
                    auto_refer=True,
                ),
            ],
            actor="admin@test",
        )
        notices = auto_refer(s)
        assert [n.approved_by for n in notices] == ["rule:chl-nrm"]
    with Session(engine) as s:
        assert [d.agency_id for d in s.scalars(select(Delivery))] == ["chl-nrm"]
        skipped = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "alert.auto_refer_skipped")
        ).one()
        assert skipped.after["skipped"] == ["chn-msa"]
        assert skipped.after["referred_to"] == ["chl-nrm"]
        assert "inferred flag CHN" in skipped.reason and "person must confirm" in skipped.reason


def test_preview_of_an_approved_notice_shows_the_deliveries_made_not_todays_routes(engine):
    from vessel_risk.referral.notices import preview_notice

    _record_inferred(engine)
    with Session(engine) as s, s.begin():
        load_directory(
            s,
            [
                AgencyRecord(
                    id="chl-nrm", name="NRM Chile", country_iso3="CHL", role="nrm_case_system"
                )
            ],
            actor="admin@test",
        )
        alert_id = s.scalars(select(AlertRow.id)).one()
        notice_id = create_notice(s, alert_id, actor="analyst@chl").id
    with Session(engine) as s, s.begin():
        # No route depends on the inferred flag yet: no confirmation is asked for.
        assert preview_notice(s, notice_id)["needs_confirmation"] is False
        approve_notice(s, notice_id, actor="approver@chl")
    with Session(engine) as s, s.begin():
        _directory(s)  # a Chinese maritime authority joins the directory afterwards
    with Session(engine) as s:
        preview = preview_notice(s, notice_id)
        assert [r["agency_id"] for r in preview["routes"]] == ["chl-nrm"]
        assert preview["needs_confirmation"] is False and preview["unmatched"] == []
