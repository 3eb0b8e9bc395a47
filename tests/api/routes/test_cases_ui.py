"""The case worker's pages (vessel_risk.api.routes.cases_ui) without a browser: the
forms post with the session's CSRF token and do what the API does; values from data
are text; a bad screening comes back with the answers kept.

The browser test (keyboard, phone size) is ``test_dashboard_cases.py``.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import key_of
from vessel_risk.db.tables import Case, CaseFollowUp, CaseTransition


def _login(api, client_id: str) -> str:
    api.cookies.clear()
    r = api.post("/ui/login", data={"key": key_of(client_id)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/cases"
    page = api.get("/ui/cases/case-cl").text if client_id != "kr-caseworker" else ""
    page = page or api.get("/ui/cases/case-kr").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_transition_needs_a_reason_and_the_csrf_token(api, engine):
    csrf = _login(api, "cl-caseworker")
    page = api.get("/ui/cases/case-cl").text
    # the buttons are the states the case may move to, in words
    assert 'value="identified">Formally identified as a victim</button>' in page
    assert "child protection must sit on it" in page
    no_token = api.post(
        "/ui/cases/case-cl-adult/transitions",
        data={"to_state": "not_identified", "reason": "x", "panel": "ngo"},
    )
    assert no_token.status_code == 403
    no_reason = api.post(
        "/ui/cases/case-cl-adult/transitions",
        data={"csrf_token": csrf, "to_state": "not_identified", "panel": "ngo"},
    )
    assert "a reason is required" in no_reason.text
    refused = api.post(
        "/ui/cases/case-cl/transitions",
        data={"csrf_token": csrf, "to_state": "identified", "reason": "met", "panel": "ngo"},
    )
    assert "Not changed:" in refused.text and "child-protection member" in refused.text
    done = api.post(
        "/ui/cases/case-cl/transitions",
        data={
            "csrf_token": csrf,
            "to_state": "identified",
            "reason": "<b>panel</b> met",
            "panel": ["ngo", "child_protection"],
        },
    )
    assert "Now: Formally identified as a victim" in done.text
    assert "&lt;b&gt;panel&lt;/b&gt; met" in done.text  # the reason is text, never HTML
    with Session(engine) as s:
        last = s.scalars(
            select(CaseTransition)
            .where(CaseTransition.case_id == "case-cl")
            .order_by(CaseTransition.id.desc())
        ).first()
        assert (last.to_state, last.reason, last.actor) == (
            "identified",
            "<b>panel</b> met",
            "cl-dsw/cl-caseworker",
        )
        assert [m["role"] for m in last.panel] == ["ngo", "child_protection"]


def test_follow_up_form_records_the_iacat_statuses(api, engine):
    csrf = _login(api, "kr-caseworker")
    page = api.get("/ui/cases/case-kr").text
    assert 'name="iacat_family_reintegration"' in page and "(overdue)" in page
    r = api.post(
        "/ui/cases/case-kr/follow-ups/3",
        data={
            "csrf_token": csrf,
            "iacat_family_reintegration": "achieved",
            "iacat_legal_rights": "in_progress",
        },
    )
    assert "Follow-up at 3 months recorded" in r.text
    with Session(engine) as s:
        row = s.scalars(select(CaseFollowUp).where(CaseFollowUp.case_id == "case-kr")).one()
        assert row.done_by == "kr-dsw/kr-caseworker"
        assert row.indicators["family_reintegration"] == "achieved"
        assert row.indicators["legal_rights"] == "in_progress"
    assert "No follow-up is overdue." in api.get("/ui/cases").text


def test_a_bad_screening_keeps_the_answers_and_a_good_one_opens_a_case(api, engine):
    csrf = _login(api, "cl-caseworker")
    form = api.get("/ui/cases/new").text
    assert form.count('<span class="optional">') >= 6
    assert 'id="consent_consular" name="consent_consular" value="yes" checked' in form
    assert 'id="consent_law_enforcement" name="consent_law_enforcement" value="yes">' in form
    bad = api.post(
        "/ui/cases",
        data={
            "csrf_token": csrf,
            "entry_point": "hotline",
            "state_iso3": "Chile",
            "language": "Khmer",
            "gender": "<i>as stated</i>",
        },
    )
    assert bad.status_code == 422
    assert "state_iso3" in bad.text
    assert 'value="Khmer"' in bad.text and 'value="&lt;i&gt;as stated&lt;/i&gt;"' in bad.text
    assert 'id="consent_consular" name="consent_consular" value="yes">' in bad.text  # kept off
    good = api.post(
        "/ui/cases",
        data={
            "csrf_token": csrf,
            "entry_point": "hotline",
            "state_iso3": "tha",
            "language": "Khmer",
            "age": "34",
            "indicator_debt_bondage": "yes",
            "indicator_isolation": "no",
            "consent_services": "yes",
            "consent_consular": "yes",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    case_id = good.headers["location"].split("/ui/cases/")[1].split("?")[0]
    with Session(engine) as s:
        case = s.get(Case, case_id)
        assert (case.state_iso3, case.child, case.presumed_victim) == ("THA", False, True)
        assert case.reflection_days == 45  # Thailand: 15 + 30 (seed §5.1.2)
        ends = [(case.reflection_started_at + timedelta(days=d)).date() for d in (15, 45)]
    page = api.get(f"/ui/cases/{case_id}").text
    assert (
        f"<li>Victim identification centre, until {ends[0]}</li>"
        f"<li>Government shelter, until {ends[1]}</li>"
    ) in page
    intake = api.get(f"/ui/cases/{case_id}/intake").text
    assert "debt bondage: described" in intake and "isolation: not described" in intake
    assert "Khmer" in intake


def test_a_screening_from_a_boarding_shows_the_vessels_evidence(api, engine):
    from tests.apikit import T0
    from vessel_risk.db.tables import Inspection

    with Session(engine) as s, s.begin():
        inspection = Inspection(
            alert_id=api.ids["alerts"]["412000001"],
            mmsi="412000001",
            year=2022,
            inspected_at=T0,
            port_label="PUNTA ARENAS",
            port_iso3="CHL",
            agency_id="cl-dgtm",
            outcome="confirmed",
            ilo_indicators=["retention_of_documents"],
            recorded_by="cl-dgtm/cl-inspector",
            recorded_at=T0,
        )
        s.add(inspection)
        s.flush()
        inspection_id = inspection.id
    _login(api, "cl-caseworker")
    page = api.get(f"/ui/cases/new?inspection_id={inspection_id}").text
    assert f'name="inspection_id" value="{inspection_id}"' in page
    assert "<dt>longest voyage days</dt><dd>200.0</dd>" in page
    assert '<option value="boarding" selected>' in page
    assert api.get("/ui/cases/new?inspection_id=999").status_code == 404
