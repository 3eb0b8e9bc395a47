"""What the dashboard's vessel and approval pages gather (vessel_risk.api.pages)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.apikit import EVENTFUL_MMSI, add_eventful_history, eventful_events, seed
from vessel_risk.api import pages
from vessel_risk.db.tables import AlertRow


def _expected(kind: str | None, first: date | None, last: date | None) -> int:
    """Events of the builder (plus the seeded gap of 2022-10-12) kept by the filter,
    counted here independently of SQL."""
    events = [(k, s, s + timedelta(hours=12)) for k, s in eventful_events()]
    seeded = datetime(2022, 10, 12, tzinfo=UTC)
    events.append(("gap", seeded, seeded + timedelta(days=1)))
    lo = datetime.combine(first, datetime.min.time(), UTC) if first else None
    hi = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC) if last else None
    return sum(
        (kind is None or k == kind) and (lo is None or e >= lo) and (hi is None or s < hi)
        for k, s, e in events
    )


def test_event_pages_filter_by_kind_and_dates_and_count_in_sql(engine, tmp_path):
    with Session(engine) as s, s.begin():
        seed(s)
    add_eventful_history(engine, tmp_path)
    with Session(engine) as s:
        score_ids = list(s.scalars(select(AlertRow.score_id).where(AlertRow.mmsi == EVENTFUL_MMSI)))
        kinds = pages.event_kinds(s, score_ids)
        assert kinds == {"ais_gap": 40, "gap": 1, "port_visit": 20}
        every = pages.event_page(s, score_ids, pages.EventFilter(), 1)
        assert (every.total, every.pages, every.first, every.last) == (61, 3, 1, 25)
        last = pages.event_page(s, score_ids, pages.EventFilter(), 3)
        assert (last.first, last.last, len(last.events)) == (51, 61, 11)
        assert (last.events[-1].kind, last.events[-1].start.date()) == (
            "ais_gap",
            date(2022, 10, 23),
        )
        past = pages.event_page(s, score_ids, pages.EventFilter(), 99)
        assert past.page == 3
        flt = pages.parse_event_filter("ais_gap", "2022-03-01", "2022-06-30", kinds)
        assert flt == pages.EventFilter("ais_gap", date(2022, 3, 1), date(2022, 6, 30))
        found = pages.event_page(s, score_ids, flt, 1)
        assert found.total == _expected("ais_gap", date(2022, 3, 1), date(2022, 6, 30)) == 16
        assert all(e.kind == "ais_gap" for e in found.events)
        # One day: the AIS gap of 2022-02-25 00:00-12:00; on 2022-10-13 the port visit
        # of that day and the seeded gap of 2022-10-12, which lasts to 2022-10-13 00:00.
        for day, kinds_seen in (
            (date(2022, 2, 25), ["ais_gap"]),
            (date(2022, 10, 13), ["gap", "port_visit"]),
        ):
            one_day = pages.parse_event_filter("", day.isoformat(), day.isoformat(), kinds)
            got = pages.event_page(s, score_ids, one_day)
            assert [e.kind for e in got.events] == kinds_seen
            assert got.total == _expected(None, day, day) == len(kinds_seen)
        assert pages.event_page(s, [], flt).total == 0


def test_a_bad_filter_is_said_and_left_out():
    flt = pages.parse_event_filter("bogus", "2022-13-01", "2022-01-31", ["ais_gap"])
    assert flt.kind is None and flt.start is None and flt.end == date(2022, 1, 31)
    assert flt.errors == (
        "No event of kind 'bogus' here; showing every kind.",
        "From '2022-13-01' is not a date (YYYY-MM-DD); it is ignored.",
    )
    swapped = pages.parse_event_filter("", "2022-02-01", "2022-01-01", [])
    assert (swapped.start, swapped.end) == (None, None)
    assert swapped.errors == ("From 2022-02-01 is after To 2022-01-01; the dates are ignored.",)


def test_coverage_says_insufficient_data_where_thin():
    full = pages.coverage(5000, 200, 0.55)
    assert full == pages.Coverage(
        "5,000 positions on 200 days; heard on 55% of the year's days in the data", False, False
    )
    assert pages.coverage(49, 200, 0.5).thin  # below MIN_POSITIONS
    assert pages.coverage(500, 9, 0.5).thin  # below MIN_DAYS_OBSERVED
    assert pages.coverage(None, None, None).text == (
        "unknown positions on unknown days; share of the year heard unknown"
    )
    assert pages.coverage(None, None, None).thin
    low = pages.coverage(500, 30, 0.08)
    assert low.low and not low.thin


def test_track_distances_keep_the_spans_in_scope(tmp_path):
    add_positions = tmp_path / "positions.parquet"
    from tests.apikit import EVENTFUL_POSITIONS

    EVENTFUL_POSITIONS.to_parquet(add_positions, index=False)
    frame = pages.track_distances(add_positions, EVENTFUL_MMSI, None)
    assert frame["distance_from_port_km"].tolist() == [1.0, 50.0, 100.0, 800.0, 820.0]
    assert pages.track_distances(add_positions, EVENTFUL_MMSI, frozenset({(0, 2021)})).empty
    # A run written before the distance columns: times only.
    EVENTFUL_POSITIONS.drop(columns=list(pages.DISTANCE_COLUMNS)).to_parquet(add_positions)
    old = pages.track_distances(add_positions, EVENTFUL_MMSI, frozenset({(0, 2022)}))
    assert list(old.columns) == ["track_id", "timestamp"] and len(old) == 5


def test_the_approval_view_says_what_the_notice_carries_and_who_receives_it(engine):
    from tests.builders import add_agency
    from vessel_risk.db.tables import Score
    from vessel_risk.referral.notices import create_notice, preview_notice

    with Session(engine) as s, s.begin():
        ids = seed(s)
        add_agency(s, "chn-msa", name="China MSA", country_iso3="CHN")
        alert_id = ids["alerts"][EVENTFUL_MMSI]
        notice = create_notice(s, alert_id, actor="cl-dgtm/cl-analyst")
        view = pages.approval_view(s, notice, preview_notice(s, notice.id))
        assert (view.shipname, view.score, view.tier, view.current) == (
            "VESSEL 1",
            0.91,
            "high",
            None,
        )
        assert view.reasons == ["longest time at sea between port visits: 4800 h (200 days)"]
        assert not view.coverage.thin
        assert [(r.agency, r.country_iso3, r.why, r.how) for r in view.recipients] == [
            ("China MSA", "CHN", pages.RULE_WORDS["flag_state"], pages.TRANSPORT_WORDS["webhook"]),
            ("cl-nrm", "CHL", pages.RULE_WORDS["port_state"], pages.TRANSPORT_WORDS["manual"]),
        ]
        assert view.contents[1] == "the risk: score 0.91, tier high, with the caveat"
        assert view.contents[2] == "1 reason(s) with 0 evidence event(s)"
        assert view.contents[3] == "last port: PUNTA ARENAS"
        assert view.contents[-1] == "the source: model"  # or a tip's entry point
        # The alert is rescored after the draft: the screen says so, the notice keeps its own.
        alert = s.get(AlertRow, alert_id)
        old = s.get(Score, alert.score_id)
        new = Score(
            vessel_period_id=old.vessel_period_id,
            run_id=None,
            model_version=old.model_version,
            score=0.4,
            tier="medium",
            rank=3,
            data_note=old.data_note,
            indicators=[],
            scored_at=old.scored_at,
        )
        s.add(new)
        s.flush()
        alert.score_id, alert.score, alert.tier = new.id, 0.4, "medium"
        again = pages.approval_view(s, notice, preview_notice(s, notice.id))
        assert again.score == 0.91
        assert again.current == "rescored since this notice was drafted: now 0.40 (medium)"
