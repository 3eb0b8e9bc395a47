"""Subscriptions through the API (vessel_risk.api.routes.subscriptions, issue 18 part 4)."""

from __future__ import annotations

import typing

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import auth
from vessel_risk.api.routes.subscriptions import Kind
from vessel_risk.db.tables import Agency, AuditEntry, Subscription
from vessel_risk.referral.subscriptions import KINDS

EMAIL = {"channel": "email", "target": "inspector@dgtm.cl", "ports": ["punta arenas"]}


def _directory(api) -> None:
    engine = api.app.state.engine
    with Session(engine) as s, s.begin():
        for agency, iso3 in (("cl-dgtm", "CHL"), ("kr-kcg", "KOR")):
            s.add(Agency(id=agency, name=agency, country_iso3=iso3, role="port"))


def test_an_inspector_subscribes_lists_and_unsubscribes(api):
    _directory(api)
    r = api.post("/subscriptions", json=EMAIL, headers=auth("cl-inspector"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["ports"], created["min_tier"], created["mode"], created["kinds"]) == (
        ["PUNTA ARENAS"],
        "high",
        "immediate",
        sorted(KINDS),
    )
    assert created["webhook_secret"] is None and len(created["unsubscribe_token"]) >= 40
    hook = {"channel": "webhook", "target": "https://dgtm.cl/hooks", "mode": "digest"}
    made = api.post("/subscriptions", json=hook, headers=auth("cl-analyst")).json()
    assert made["webhook_secret"].startswith("whsec_") and made["next_digest_at"] is not None

    # an agency's own, from any of its clients; never a secret; another agency sees none
    listed = api.get("/subscriptions", headers=auth("cl-approver")).json()
    assert [s["id"] for s in listed] == [created["id"], made["id"]]
    assert all("unsubscribe_token" not in s and "webhook_secret" not in s for s in listed)
    assert api.get("/subscriptions", headers=auth("kr-inspector")).json() == []
    assert len(api.get("/subscriptions", headers=auth("admin")).json()) == 2

    url = f"/subscriptions/{created['id']}"
    assert api.delete(url, headers=auth("kr-analyst")).status_code == 404
    gone = api.delete(url, headers=auth("cl-inspector"))
    assert (gone.status_code, gone.json()["status"]) == (200, "removed")
    assert api.delete(url, headers=auth("cl-inspector")).json()["status"] == "removed"
    listed = api.get("/subscriptions", headers=auth("cl-inspector")).json()
    assert [s["id"] for s in listed] == [made["id"]]
    everything = api.get("/subscriptions?include_removed=true", headers=auth("cl-inspector"))
    assert len(everything.json()) == 2
    with Session(api.app.state.engine) as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "subscription")
        ).all()
        assert sorted(actions) == [
            "subscription.created",
            "subscription.created",
            "subscription.removed",
        ]


def test_scope_role_and_bad_requests_are_refused_clearly(api):
    _directory(api)
    busan = {**EMAIL, "ports": ["BUSAN"]}
    r = api.post("/subscriptions", json=busan, headers=auth("cl-inspector"))
    assert r.status_code == 403 and "outside this client's scope" in r.json()["detail"]
    assert api.post("/subscriptions", json=EMAIL, headers=auth("cl-case")).status_code == 403
    assert api.post("/subscriptions", json=EMAIL, headers=auth("cl-caseworker")).status_code == 403
    bad = [
        {**EMAIL, "target": "not an address"},
        {**EMAIL, "channel": "webhook", "target": "ftp://dgtm.cl/x"},
        {**EMAIL, "channel": "webhook", "target": "http://dgtm.cl/x"},  # in clear
        {**EMAIL, "min_tier": "extreme"},
        {**EMAIL, "kinds": ["alert.deleted"]},
        {**EMAIL, "flags": ["CHINA"]},
        {**EMAIL, "digest_every_h": 0},
        {**EMAIL, "crew_names": ["anyone"]},  # person-level data has no field here
    ]
    for body in bad:
        r = api.post("/subscriptions", json=body, headers=auth("cl-inspector"))
        assert r.status_code == 422, (body, r.text)
    # an agency outside the directory is told how to fix it
    r = api.post("/subscriptions", json=EMAIL, headers=auth("admin"))
    assert r.status_code == 422 and "vessel-risk agencies load" in r.json()["detail"]


def test_the_unsubscribe_link_needs_no_key_and_only_post_acts(api):
    _directory(api)
    created = api.post("/subscriptions", json=EMAIL, headers=auth("cl-inspector")).json()
    link = f"/subscriptions/unsubscribe?token={created['unsubscribe_token']}"
    page = api.get(link)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert "inspector@dgtm.cl" in page.text
    with Session(api.app.state.engine) as s:
        assert s.get(Subscription, created["id"]).status == "active"  # a GET changes nothing
    done = api.post(link, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Unsubscribed" in done.text
    with Session(api.app.state.engine) as s:
        sub = s.get(Subscription, created["id"])
        assert (sub.status, sub.removed_by) == ("removed", "cl-dgtm/unsubscribe-link")
    assert "already removed" in api.get(link).text
    wrong = "/subscriptions/unsubscribe?token=" + "x" * 43
    assert api.get(wrong).status_code == 404 and api.post(wrong).status_code == 404


def test_the_kinds_of_the_api_are_the_rules_kinds():
    assert set(typing.get_args(Kind)) == set(KINDS)


def test_a_webhook_inside_the_servers_network_is_refused(api):
    """SSRF: no client makes the server post to itself or a private network."""
    _directory(api)
    inside = [
        "http://127.0.0.1:8000/ui/clients",  # the app itself, in clear
        "http://localhost:5432/",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://0.0.0.0/",
        "https://10.1.2.3/hook",
        "https://192.168.0.1/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[fd00::1]/hook",
        "https://metadata.google.internal/",
        "https://printer.local/",
        "https://intranet/hook",
        "https://user:pw@dgtm.cl/hooks",
        "https://dgtm.cl:99999/hooks",
    ]
    for target in inside:
        body = {"channel": "webhook", "target": target}
        r = api.post("/subscriptions", json=body, headers=auth("cl-analyst"))
        assert r.status_code == 422, (target, r.text)
    body = {"channel": "webhook", "target": "https://203.0.113.7/hooks"}
    # a documentation address (RFC 5737) is not global either; a public name is accepted
    assert api.post("/subscriptions", json=body, headers=auth("cl-analyst")).status_code == 422
    body = {"channel": "webhook", "target": "https://hooks.dgtm.cl/vessel-risk"}
    assert api.post("/subscriptions", json=body, headers=auth("cl-analyst")).status_code == 201
    with Session(api.app.state.engine) as s:
        assert s.scalars(select(Subscription.target)).all() == [body["target"]]


def test_an_email_target_with_a_control_character_is_refused(api):
    """No whitespace or control character in an address (header injection)."""
    _directory(api)
    for target in (
        "a@dgtm.cl\x0bBcc:x@evil.example",
        "a@dgtm.cl\tBcc",
        "a@dgtm.cl\x00",
        "a b@dgtm.cl",
    ):
        body = {"channel": "email", "target": target}
        r = api.post("/subscriptions", json=body, headers=auth("cl-analyst"))
        assert r.status_code == 422, (repr(target), r.text)
