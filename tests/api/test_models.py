"""The API's alert schema (vessel_risk.api.models) and the dashboard's alert table carry
where the model applies, the score's percentile and spread, and the coverage (issue 14)."""

from __future__ import annotations

from tests.apikit import auth, key_of
from tests.builders import make_alert, make_visits, record_alerts

MMSI = "412000099"
REASON = "observed_share 0.01 below the training minimum 0.52"


def _record(engine) -> None:
    alert = make_alert(
        mmsi=MMSI,
        score=0.97,
        model_applies=False,
        model_domain_reason=REASON,
        score_percentile=99.0,
        observed_share=0.0111,
    )
    record_alerts(engine, [alert], visits=make_visits().assign(mmsi=MMSI))


def test_the_alert_list_and_detail_say_where_the_model_applies(api, engine):
    _record(engine)
    items = api.get("/alerts", params={"limit": 10}, headers=auth("admin")).json()["items"]
    by_mmsi = {a["mmsi"]: a for a in items}
    ours = by_mmsi[MMSI]
    assert (ours["model_applies"], ours["model_domain_reason"]) == (False, REASON)
    assert (ours["score_percentile"], ours["observed_share"]) == (99.0, 0.0111)
    assert (ours["score_low"], ours["score_high"]) == (None, None)
    # Alerts recorded before issue 14 (the seeded ones): unknown, never "applies".
    assert {a["model_applies"] for a in items if a["mmsi"] != MMSI} == {None}
    detail = api.get(f"/alerts/{ours['id']}", headers=auth("admin")).json()
    assert (detail["model_applies"], detail["model_domain_reason"]) == (False, REASON)


def test_the_dashboard_shows_model_applies_as_words_with_the_reason(api, engine):
    _record(engine)
    r = api.post("/ui/login", data={"key": key_of("admin")}, follow_redirects=False)
    assert r.status_code == 303
    page = api.get("/ui/").text
    assert "<th>Percentile</th>" in page and "<th>Model applies</th>" in page
    assert f'<td class="model-applies">no: {REASON}</td>' in page
    assert "<td>99</td>" in page
    assert page.count('<td class="model-applies">unknown</td>') == 5  # the seeded alerts
