"""Personal data past retention: the worker purges it on its schedule."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import T0, FakeTransport, add_case
from vessel_risk.db.tables import CaseIntake, Delivery

CASE = "00000000-0000-4000-9000-0000000000c1"


def test_the_worker_purges_on_its_schedule(engine):
    from vessel_risk.delivery import run_worker

    with Session(engine) as s, s.begin():
        add_case(s, CASE, fields={"language": "tl"}, consents={}, retain_until=T0)
    seen: list[dict[str, int]] = []
    run_worker(
        engine,
        worker_id="w",
        once=True,
        transports={"webhook": FakeTransport()},
        handle_signals=False,
        purge_every_s=600,
        on_purge=seen.append,
    )
    assert seen == [{"notice_personal_data": 0, "case_intakes": 1, "case_follow_ups": 0, "tips": 0}]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CaseIntake)) == 0
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0
