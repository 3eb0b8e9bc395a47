"""Dependencies of the routes: the session, the settings, and authorisation in one place.

Every route that reads or acts on a vessel, alert, notice, case, delivery or port, in the
API and the dashboard alike, declares what it does through :func:`authorize` (the
caller's role against :data:`vessel_risk.api.access.PERMISSIONS`) and receives the
resource of its path through :func:`scoped` (the caller's country, port and flag scope,
see :mod:`vessel_risk.api.access`): a resource outside the scope reads as absent (404),
a port outside it is refused (403). ``tests/api/test_authorization.py`` walks
``app.routes`` and fails on a route that declares neither.

The ``Annotated`` aliases (``AlertReader``, ``Analyst``, ``NoticeWriter``, ``Approver``,
``NoticeReader``, ``CaseSystem``, ``ModelReader``, ``Admin``, ``CaseReader``,
``Screener``) are :func:`authorize` of one permission each. Every authenticated request
takes a token from the client's bucket in the database (429 with ``Retry-After`` when
empty; :class:`~vessel_risk.api.limits.RateLimiter`).

API clients authenticate with the ``X-API-Key`` header; the dashboard with its session
cookie (:mod:`vessel_risk.api.sessions`), never with a key. A dashboard form post also
needs the session's CSRF token and, when the browser sends one, a same-site ``Origin``.
"""

import functools
import hmac
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Path, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from vessel_risk.api import crud, sessions
from vessel_risk.api.access import PERMISSIONS, PERSONAL, Principal, PrincipalCache
from vessel_risk.api.limits import RateLimiter
from vessel_risk.api.models import MMSI_PATTERN
from vessel_risk.db.tables import (
    AlertRow,
    Case,
    Delivery,
    Inspection,
    ReferralNotice,
    Subscription,
)
from vessel_risk.settings import Settings

API_KEY_HEADER = "X-API-Key"

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="The API key of an agency's client (one per integration or team).",
)

WRITES = frozenset(
    {
        "alerts.review",
        "notices.write",
        "notices.approve",
        "deliveries.report",
        "clients.manage",
        "inspections.write",
        "cases.write",
        "cases.screen",
        "cases.intake",
        "subscriptions.manage",
        "exchange.export",
        "exchange.import",
        "tips.submit",
    }
)
"""Permissions whose routes change the database (their resources load in the write session)."""


class LoginRequired(Exception):
    """A dashboard page without a valid session: the app redirects to the login form."""


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session on the app's engine, closed after the request (routes commit)."""
    with Session(request.app.state.engine) as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for routes that only read: autocommit, so no BEGIN/ROLLBACK round trips
    (each SELECT still sees one consistent snapshot)."""
    with Session(request.app.state.read_engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def _rate_limit(request: Request, who: Principal) -> None:
    limiter: RateLimiter = request.app.state.limiter
    wait_s = limiter.take(f"client:{who.client_id}", who.rate_per_minute)
    if wait_s > 0:
        raise HTTPException(
            429,
            f"Rate limit of {who.rate_per_minute} requests a minute reached.",
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )


def get_caller(request: Request, session: Session, key: str | None) -> Principal:
    """The API client whose key came in the ``X-API-Key`` header, rate-limited.

    Raises
    ------
    HTTPException
        401 without a valid key; 429 when the client's rate limit is spent.
    """
    cache: PrincipalCache = request.app.state.principals
    who = cache.get(session, key) if key else None
    if who is None:
        raise HTTPException(
            401,
            f"Send a valid API key in the {API_KEY_HEADER} header.",
            headers={"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'},
        )
    _rate_limit(request, who)
    request.state.principal = who
    return who


def get_ui_caller(request: Request, session: Session, *, form_token: str | None) -> Principal:
    """The client of the dashboard session in the cookie, rate-limited; for a form post
    (``form_token`` given) the session's CSRF token must match and a sent ``Origin``
    must be this site.

    Raises
    ------
    LoginRequired
        Without a live session.
    HTTPException
        403 for a failed CSRF or Origin check; 429 when the rate limit is spent.
    """
    found = sessions.lookup(session, request.cookies.get(sessions.COOKIE_NAME))
    if found is None:
        raise LoginRequired()
    who, ui_session = found
    if form_token is not None:
        sessions.check_origin(request)
        if not hmac.compare_digest(form_token.encode(), ui_session.csrf_token.encode()):
            raise HTTPException(403, "The form's CSRF token does not match this session.")
    _rate_limit(request, who)
    request.state.principal = who
    request.state.csrf_token = ui_session.csrf_token
    return who


def _check_role(who: Principal, permission: str) -> Principal:
    if not who.may(permission):
        admin = set() if permission in PERSONAL else {"admin"}
        allowed = ", ".join(sorted(PERMISSIONS[permission] | admin))
        raise HTTPException(403, f"The {who.role} role may not do this; needs {allowed}.")
    return who


@functools.cache
def authorize(permission: str, *, ui: bool = False, form: bool = False) -> Callable[..., Principal]:
    """The one authorisation dependency: the caller, if its role may do ``permission``.

    Parameters
    ----------
    permission : str
        A key of :data:`vessel_risk.api.access.PERMISSIONS`.
    ui : bool, default False
        A dashboard page: the session cookie authenticates (never a key).
    form : bool, default False
        A dashboard form post: the ``csrf_token`` form field must match the session's.

    Returns
    -------
    callable
        A FastAPI dependency returning the :class:`Principal`; it carries
        ``permission`` as an attribute (the route enumeration test reads it). The same
        arguments give the same callable, so FastAPI runs it once per request.

    Raises
    ------
    KeyError
        For a permission not in ``PERMISSIONS``.
    """
    if permission not in PERMISSIONS:
        raise KeyError(f"No permission {permission!r} in PERMISSIONS.")
    dependency: Callable[..., Principal]
    if ui and form:

        def dependency(
            request: Request,
            session: SessionDep,
            csrf_token: Annotated[str, Form(max_length=128)] = "",
        ) -> Principal:
            who = get_ui_caller(request, session, form_token=csrf_token)
            return _check_role(who, permission)

    elif ui:

        def dependency(request: Request, session: SessionDep) -> Principal:
            return _check_role(get_ui_caller(request, session, form_token=None), permission)

    else:

        def dependency(
            request: Request,
            session: SessionDep,
            key: Annotated[str | None, Depends(api_key_scheme)],
        ) -> Principal:
            return _check_role(get_caller(request, session, key), permission)

    setattr(dependency, "permission", permission)  # noqa: B010 - read by the route test
    setattr(dependency, "ui", ui)  # noqa: B010
    return dependency


@dataclass(frozen=True)
class VesselScope:
    """A vessel as far as the caller's scope reaches: its alerts in scope.

    Attributes
    ----------
    mmsi : str
    alerts : list of AlertRow
        The vessel-years in scope, newest year first.
    unrestricted : bool
        The caller reads everything (admin): every period and position of the vessel,
        alerted or not.
    """

    mmsi: str
    alerts: list[AlertRow]
    unrestricted: bool = False

    @property
    def spans(self) -> frozenset[tuple[int, int]]:
        """The (track_id, year) pairs in scope: a track stops at their edges."""
        return frozenset((int(a.track_id), int(a.year)) for a in self.alerts)

    @property
    def years(self) -> frozenset[int]:
        """The years in scope (any track)."""
        return frozenset(int(a.year) for a in self.alerts)


RESOURCES = (
    "alert",
    "vessel",
    "notice",
    "delivery",
    "port",
    "inspection",
    "case",
    "subscription",
)
"""Resources a path names; :func:`scoped` resolves each."""

RESOURCE_PARAMS = {
    "alert_id": "alert",
    "mmsi": "vessel",
    "notice_id": "notice",
    "delivery_id": "delivery",
    "port_label": "port",
    "inspection_id": "inspection",
    "case_id": "case",
    "subscription_id": "subscription",
}
"""Path parameter names and the resource each names."""


PLAIN_PARAMS = {
    "months": "a follow-up's months after assistance began, within the case",
    "transfer_id": "a transfer of the case (its route refuses another case's as absent)",
}
"""Path parameters that name no resource of their own (checked by their route), each
with what it is."""


def _session_dep(resource: str, permission: str, ui: bool) -> Any:
    # Notices, deliveries and cases: every read is audited, so they load in the write session.
    writes = ui or permission in WRITES or resource in ("notice", "delivery", "case")
    return get_session if writes else get_read_session


@functools.cache
def scoped(resource: str, permission: str, *, ui: bool = False, form: bool = False) -> Any:
    """A dependency resolving the path's ``resource`` within the caller's scope.

    Parameters
    ----------
    resource : str
        ``alert`` (path ``alert_id``), ``vessel`` (``mmsi``), ``notice`` (``notice_id``),
        ``delivery`` (``delivery_id``), ``port`` (``port_label``), ``inspection``
        (``inspection_id``: in scope by its alert or its port,
        :meth:`~vessel_risk.api.access.Principal.may_see_inspection`) or ``case``
        (``case_id``: :meth:`~vessel_risk.api.access.Principal.may_see_case`) or
        ``subscription`` (``subscription_id``: the caller's agency's own,
        :meth:`~vessel_risk.api.access.Principal.may_manage_subscription`).
    permission, ui, form
        As :func:`authorize`, which the dependency runs first.

    Returns
    -------
    callable
        A FastAPI dependency returning the ``AlertRow``, :class:`VesselScope`,
        ``ReferralNotice``, ``Delivery``, the upper-case port label or the ``Case``. Out of scope
        reads as absent (404); a port out of scope is 403. It carries ``resource`` and
        ``permission`` as attributes.
    """
    auth = authorize(permission, ui=ui, form=form)
    session_dep = _session_dep(resource, permission, ui)
    Who = Annotated[Principal, Depends(auth)]
    Db = Annotated[Session, Depends(session_dep)]
    dependency: Callable[..., Any]
    if resource == "alert":

        def dependency(
            who: Who, session: Db, alert_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
        ) -> AlertRow:
            try:
                return crud.get_alert(session, who, alert_id)
            except LookupError as exc:
                raise HTTPException(404, str(exc)) from exc

    elif resource == "vessel":

        def dependency(
            who: Who, session: Db, mmsi: Annotated[str, Path(pattern=MMSI_PATTERN)]
        ) -> VesselScope:
            try:
                return VesselScope(mmsi, crud.vessel_alerts(session, who, mmsi), who.is_admin)
            except LookupError as exc:
                raise HTTPException(404, str(exc)) from exc

    elif resource == "notice":
        acting = permission in ("notices.approve", "notices.write")

        def dependency(
            who: Who,
            session: Db,
            notice_id: Annotated[str, Path(min_length=1, max_length=36)],
        ) -> ReferralNotice:
            try:
                return crud.get_notice(session, who, notice_id, acting=acting)
            except LookupError as exc:
                raise HTTPException(404, str(exc)) from exc

    elif resource == "delivery":
        # A receiver reports on what it received; anyone else acts as the sender.
        find = (
            crud.delivery_for_receiver
            if permission == "deliveries.report"
            else crud.delivery_for_sender
        )

        def dependency(
            who: Who,
            session: Db,
            delivery_id: Annotated[str, Path(min_length=1, max_length=36)],
        ) -> Delivery:
            try:
                return find(session, who, delivery_id)
            except LookupError as exc:
                raise HTTPException(404, str(exc)) from exc

    elif resource == "port":

        def dependency(
            who: Who,
            session: Db,
            port_label: Annotated[str, Path(min_length=1, max_length=128)],
        ) -> str:
            label = port_label.upper()
            if not who.may_see_port(label, crud.port_iso3(session, label)):
                raise HTTPException(403, f"The port {port_label!r} is outside this client's scope.")
            return label

    elif resource == "inspection":

        def dependency(
            who: Who,
            session: Db,
            inspection_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
        ) -> Inspection:
            row = session.get(Inspection, inspection_id)
            alert = session.get(AlertRow, row.alert_id) if row and row.alert_id else None
            if row is None or not who.may_see_inspection(row, alert):
                raise HTTPException(404, f"No inspection {inspection_id}.")
            return row

    elif resource == "case":

        def dependency(
            who: Who,
            session: Db,
            case_id: Annotated[str, Path(min_length=1, max_length=36)],
        ) -> Case:
            case = session.get(Case, case_id)
            if case is None or not who.may_see_case(case):
                raise HTTPException(404, f"No case {case_id!r}.")
            return case

    elif resource == "subscription":

        def dependency(
            who: Who,
            session: Db,
            subscription_id: Annotated[str, Path(min_length=1, max_length=36)],
        ) -> Subscription:
            sub = session.get(Subscription, subscription_id)
            if sub is None or not who.may_manage_subscription(sub):
                raise HTTPException(404, f"No subscription {subscription_id!r}.")
            return sub

    else:
        raise KeyError(f"No resource {resource!r}; one of {RESOURCES}.")
    setattr(dependency, "resource", resource)  # noqa: B010 - read by the route test
    setattr(dependency, "permission", permission)  # noqa: B010
    return dependency


AlertReader = Annotated[Principal, Depends(authorize("alerts.read"))]
Analyst = Annotated[Principal, Depends(authorize("alerts.review"))]
NoticeWriter = Annotated[Principal, Depends(authorize("notices.write"))]
Approver = Annotated[Principal, Depends(authorize("notices.approve"))]
NoticeReader = Annotated[Principal, Depends(authorize("notices.read"))]
CaseSystem = Annotated[Principal, Depends(authorize("deliveries.report"))]
ModelReader = Annotated[Principal, Depends(authorize("models.read"))]
Scorer = Annotated[Principal, Depends(authorize("models.score"))]
Admin = Annotated[Principal, Depends(authorize("clients.manage"))]

ScopedAlert = Annotated[AlertRow, Depends(scoped("alert", "alerts.read"))]
ReviewedAlert = Annotated[AlertRow, Depends(scoped("alert", "alerts.review"))]
ScopedVessel = Annotated[VesselScope, Depends(scoped("vessel", "alerts.read"))]
ScopedPort = Annotated[str, Depends(scoped("port", "alerts.read"))]
ReadNotice = Annotated[ReferralNotice, Depends(scoped("notice", "notices.read"))]
ApprovedNotice = Annotated[ReferralNotice, Depends(scoped("notice", "notices.approve"))]
ReportedDelivery = Annotated[Delivery, Depends(scoped("delivery", "deliveries.report"))]
CaseReader = Annotated[Principal, Depends(authorize("cases.read"))]
Screener = Annotated[Principal, Depends(authorize("cases.screen"))]
ReadCase = Annotated[Case, Depends(scoped("case", "cases.read"))]
WrittenCase = Annotated[Case, Depends(scoped("case", "cases.write"))]
IntakeCase = Annotated[Case, Depends(scoped("case", "cases.intake"))]
Subscriber = Annotated[Principal, Depends(authorize("subscriptions.manage"))]
OwnSubscription = Annotated[Subscription, Depends(scoped("subscription", "subscriptions.manage"))]
TipSubmitter = Annotated[Principal, Depends(authorize("tips.submit"))]
RequeuedDelivery = Annotated[Delivery, Depends(scoped("delivery", "notices.approve"))]
