"""Who may use the service: API clients of agencies, their roles, scopes and rate limits.

Each agency gets one API client per integration or team. A client has one role and
may be scoped to countries (ISO 3166-1 alpha-3) and ports (port labels as in the
alerts). The key itself is shown once, when the client is created; the database keeps
only its SHA-256 digest (keys are 256-bit random tokens, so a fast hash is enough:
there is nothing to brute-force).

Roles
-----
``analyst``
    Maritime-authority analysts: ranked alerts, vessels, ports in scope; drafts
    referral notices; scores feature rows.
``port_inspector``
    Port-state inspectors: the queue and inspection briefs of their own ports only.
``referral_approver``
    Approves referral notices; reads alerts and vessels in scope.
``case_system``
    An NRM case system: reads the notices delivered to its agency and reports their
    status back.
``case_worker``
    Screens people (any entry point: a boarding, a hotline, an NGO, a consulate, a port
    welfare worker) and manages the presumed-victim cases it opened.
``child_protection_officer``
    A child-protection agency's officer: the cases of children (or of people of
    uncertain age, presumed children) routed to its agency, besides any it opened.
``coordinator``
    The mechanism's coordinating body (seed report §5.6): the monitoring figures
    (aggregates: counts and medians by month, state, port, flag, nationality, gender and
    age group), never a person, a case, an alert or a vessel. A coordinator scoped to
    countries sees the figures of those states only (by the state where the person is,
    or the port's state).
``tip_source``
    A hotline, an NGO, a consulate or a first responder: submits tips about a vessel or
    a person (``tips.submit``) and gets a receipt; it never reads the queue, other tips
    or what became of its own (:mod:`vessel_risk.referral.tips`).
``admin``
    Manages clients; reads everything except a person's own data: a case's metadata
    (state, dates), never its intake.

A subscription (issue 18) is its agency's: any of the agency's clients holding
``subscriptions.manage`` lists and removes it; what it matches is bounded by the scope of
the client that made it (:mod:`vessel_risk.referral.subscriptions`).

Crew are presumed victims: only the case worker who opened a person's case and the
child-protection officers of a child's case read that person's data (and each read is
audited); no role exists for a vessel's operator.

The coordinator also runs the regional exchange (``exchange.export``,
``exchange.import``, ``exchange.read``; :mod:`vessel_risk.api.routes.exchange`): this
state's signed export carries vessel facts (alerts, boardings) besides the figures with
small cells suppressed, never a person.

Scopes
------
A case (one person) is in scope for the client that owns it, and for a
child-protection officer of the agency the case of a child was routed to
(:meth:`Principal.may_see_case`); the admin reads every case's metadata.

An alert (one vessel-year) is in a client's scope when its port scope holds the alert's
last port and its country scope holds one of the alert's routing countries: the flag
routing uses (declared, else inferred: :func:`vessel_risk.referral.routing.routing_flag`),
the last port's state, and the coastal states where the vessel worked that year (the
``coastal_state`` rule's, recorded with the alert: :mod:`vessel_risk.alerts.coastal`; a
tip's item and an alert last recorded before migration 0011 have none). A vessel is
in scope only for the vessel-years whose alerts are, so its track, events and maps
stop at the edge of those years; a referral notice by its routing (delivered to the
client's agency) or by its alert's scope, never by a match on agency names.
:data:`PERMISSIONS` says which roles may do what; :func:`vessel_risk.api.deps.authorize`
is the one dependency that applies both.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vessel_risk.db.tables import ApiClient, audit, utcnow

ROLES = (
    "analyst",
    "port_inspector",
    "referral_approver",
    "case_system",
    "case_worker",
    "child_protection_officer",
    "coordinator",
    "tip_source",
    "admin",
)
"""Every role a client can hold."""

CASE_ROLES = frozenset({"case_worker", "child_protection_officer"})
"""The roles that work with persons (screening, cases, their data)."""

KEY_PREFIX = "vrk_"

PERMISSIONS: dict[str, frozenset[str]] = {
    "alerts.read": frozenset({"analyst", "port_inspector", "referral_approver", "admin"}),
    "alerts.review": frozenset({"analyst", "admin"}),
    "notices.read": frozenset({"analyst", "referral_approver", "case_system", "admin"}),
    "notices.write": frozenset({"analyst", "referral_approver", "admin"}),
    "notices.approve": frozenset({"referral_approver", "admin"}),
    "deliveries.report": frozenset({"case_system", "admin"}),
    "models.read": frozenset(
        {"analyst", "port_inspector", "referral_approver", "case_system", "admin"}
    ),
    "models.score": frozenset({"analyst", "admin"}),
    "clients.manage": frozenset({"admin"}),
    "dashboard": frozenset(ROLES),
    "inspections.read": frozenset({"analyst", "port_inspector", "referral_approver", "admin"}),
    "inspections.write": frozenset({"port_inspector", "analyst", "admin"}),
    "cases.read": CASE_ROLES | {"admin"},
    "cases.write": CASE_ROLES,
    "cases.screen": CASE_ROLES,
    "cases.intake": CASE_ROLES,
    "subscriptions.manage": frozenset({"analyst", "port_inspector", "referral_approver", "admin"}),
    "monitoring.read": frozenset({"coordinator", "admin"}),
    "exchange.export": frozenset({"coordinator", "admin"}),
    "exchange.import": frozenset({"coordinator", "admin"}),
    "exchange.read": frozenset({"coordinator", "admin"}),
    "tips.submit": frozenset({"tip_source", "case_worker"}),
}
"""Every action a route may declare, with the roles allowed it (admin always, except the
actions of :data:`PERSONAL`)."""

PERSONAL = frozenset({"cases.write", "cases.screen", "cases.intake"})
"""Actions on a person (screening, their case's decisions, their data) that only the
roles holding them may take: the admin does not (it reads a case's metadata only)."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request (a detached copy of its client).

    Attributes
    ----------
    client_id, agency_id, role : str
    countries, ports : frozenset of str
        Scopes; empty means unrestricted for that dimension (ports are upper case).
    rate_per_minute : int
        Requests a minute the client's token bucket refills with.
    """

    client_id: str
    agency_id: str
    role: str
    countries: frozenset[str] = field(default_factory=frozenset)
    ports: frozenset[str] = field(default_factory=frozenset)
    rate_per_minute: int = 600

    @property
    def actor(self) -> str:
        """The name written to the audit log: ``<agency>/<client>``."""
        return f"{self.agency_id}/{self.client_id}"

    @property
    def is_admin(self) -> bool:
        """Whether the client holds the admin role."""
        return self.role == "admin"

    def may(self, permission: str) -> bool:
        """Whether the role may do ``permission`` (a key of :data:`PERMISSIONS`).

        Raises
        ------
        KeyError
            For a permission not in :data:`PERMISSIONS`.
        """
        allowed = PERMISSIONS[permission]
        return self.role in allowed or (self.is_admin and permission not in PERSONAL)

    def may_manage_subscription(self, subscription: Any) -> bool:
        """Whether ``subscription`` (a ``Subscription`` row) is this client's agency's own
        (the admin manages every agency's)."""
        return self.is_admin or subscription.agency_id == self.agency_id

    def may_see_case(self, case: Any) -> bool:
        """Whether ``case`` (a ``Case`` row or anything with its fields) is in scope.

        In scope for the client that owns it (``owner_client_id``), for a
        child-protection officer of the agency a child's case is routed to
        (``child_protection_agency_id``), and for the admin (its metadata only: the
        intake needs ``cases.intake``, which the admin does not hold).
        """
        if self.is_admin or case.owner_client_id == self.client_id:
            return True
        return (
            self.role == "child_protection_officer"
            and bool(case.child)
            and case.child_protection_agency_id is not None
            and case.child_protection_agency_id == self.agency_id
        )

    def may_see(
        self,
        *,
        port_label: str | None,
        port_iso3: str | None,
        flag_iso3: str | None,
        flag_inferred_iso3: str | None = None,
        coastal_iso3: Iterable[str] | Callable[[], Iterable[str]] = (),
    ) -> bool:
        """Whether an alert at ``port_label`` (in ``port_iso3``) of ``flag_iso3`` is in scope.

        The port scope needs the alert's last port to be one of the client's ports;
        the country scope needs the routing flag (``flag_iso3``, else
        ``flag_inferred_iso3``), the last port's state or one of the alert's coastal
        states (``coastal_iso3``, ISO3; or a callable giving them, called only when the
        others do not decide) to be one of the client's countries.
        """
        if self.is_admin:
            return True
        if self.ports and (port_label is None or port_label.upper() not in self.ports):
            return False
        if not self.countries:
            return True
        flag = flag_iso3 or flag_inferred_iso3
        if {port_iso3, flag} & self.countries:
            return True
        coastal = coastal_iso3() if callable(coastal_iso3) else coastal_iso3
        return not self.countries.isdisjoint(coastal)

    def may_see_alert(self, alert: Any) -> bool:
        """:meth:`may_see` of an alert row (``AlertRow`` or anything with its fields; its
        coastal states ``coastal_iso3`` are read only when needed)."""
        return self.may_see(
            port_label=alert.last_port_label,
            port_iso3=alert.last_port_iso3,
            flag_iso3=alert.flag_iso3,
            flag_inferred_iso3=getattr(alert, "flag_inferred_iso3", None),
            coastal_iso3=lambda: getattr(alert, "coastal_iso3", ()),
        )

    def may_see_inspection(self, inspection: Any, alert: Any | None) -> bool:
        """Whether an inspection is in scope: its alert is (:meth:`may_see_alert`), or,
        for a port inspector, its port is one of the client's ports; an inspection that
        names no alert is in scope where its port is (:meth:`may_see_port`)."""
        if self.is_admin:
            return True
        if alert is not None and self.may_see_alert(alert):
            return True
        label = (inspection.port_label or "").upper()
        if self.role == "port_inspector" and label and label in self.ports:
            return True
        if alert is None and label:
            return self.may_see_port(label, inspection.port_iso3)
        return False

    def may_see_port(self, port_label: str, port_iso3: str | None) -> bool:
        """Whether the port ``port_label`` (in ``port_iso3``) is in scope."""
        if self.is_admin:
            return True
        if self.ports and port_label.upper() not in self.ports:
            return False
        if self.countries and port_iso3 not in self.countries:
            return False
        return True


def hash_key(key: str) -> str:
    """The SHA-256 hex digest of an API key, as stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh API key: ``vrk_`` and 43 URL-safe characters (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _upper(values: Iterable[str] | None) -> list[str]:
    return sorted({str(v).strip().upper() for v in (values or []) if str(v).strip()})


def create_client(
    session: Session,
    *,
    client_id: str,
    agency_id: str,
    role: str,
    name: str = "",
    countries: Iterable[str] | None = None,
    ports: Iterable[str] | None = None,
    rate_per_minute: int = 600,
    actor: str,
    key: str | None = None,
) -> tuple[ApiClient, str]:
    """Register an API client and return it with its key (shown only this once).

    Parameters
    ----------
    session : Session
        Committed by the caller.
    client_id, agency_id : str
    role : str
        One of :data:`ROLES`.
    name : str
    countries, ports : iterable of str, optional
        Scopes (ISO3 codes, port labels); none means unrestricted.
    rate_per_minute : int, default 600
        Requests per minute (the token bucket's refill rate and capacity).
    actor : str
        Who creates the client (audited).
    key : str, optional
        Use this key instead of a fresh random one (tests, seeding from a secret store).

    Returns
    -------
    (ApiClient, str)

    Raises
    ------
    ValueError
        For an unknown role, a port inspector without ports, a taken id or a
        non-positive rate.
    """
    if role not in ROLES:
        raise ValueError(f"The 'role' parameter must be one of {ROLES}. Got {role!r} instead.")
    port_list = _upper(ports)
    if role == "port_inspector" and not port_list:
        raise ValueError("A port_inspector client needs at least one port in its scope.")
    if rate_per_minute < 1:
        raise ValueError(
            f"The 'rate_per_minute' parameter must be at least 1. Got {rate_per_minute}."
        )
    if session.get(ApiClient, client_id) is not None:
        raise ValueError(f"An API client {client_id!r} already exists.")
    key = key or new_key()
    client = ApiClient(
        id=client_id,
        agency_id=agency_id,
        name=name or client_id,
        role=role,
        countries=_upper(countries),
        ports=port_list,
        key_sha256=hash_key(key),
        rate_per_minute=rate_per_minute,
        active=True,
        created_at=utcnow(),
        created_by=actor,
    )
    session.add(client)
    audit(
        session,
        actor=actor,
        action="client.created",
        entity_type="api_client",
        entity_id=client_id,
        after={
            "agency_id": agency_id,
            "role": role,
            "countries": client.countries,
            "ports": client.ports,
        },
    )
    return client, key


def revoke_client(session: Session, client_id: str, *, actor: str, reason: str) -> ApiClient:
    """Deactivate a client (a leaked or lost key), auditing who and why.

    A running server may accept the key for up to ``api_key_cache_s`` more seconds.

    Raises
    ------
    LookupError
        If there is no client ``client_id``.
    ValueError
        If ``reason`` is empty.
    """
    client = session.get(ApiClient, client_id)
    if client is None:
        raise LookupError(f"No API client {client_id!r}.")
    if not reason.strip():
        raise ValueError("Revoking an API client needs a reason.")
    audit(
        session,
        actor=actor,
        action="client.revoked",
        entity_type="api_client",
        entity_id=client_id,
        reason=reason,
        before={"active": client.active},
        after={"active": False},
    )
    client.active = False
    return client


def principal(client: ApiClient) -> Principal:
    """A detached :class:`Principal` of ``client``."""
    return Principal(
        client_id=client.id,
        agency_id=client.agency_id,
        role=client.role,
        countries=frozenset(_upper(client.countries)),
        ports=frozenset(_upper(client.ports)),
        rate_per_minute=client.rate_per_minute,
    )


def authenticate(session: Session, key: str) -> Principal | None:
    """The active client holding ``key``, or None."""
    if not key:
        return None
    client = session.scalars(
        select(ApiClient).where(ApiClient.key_sha256 == hash_key(key), ApiClient.active)
    ).first()
    return None if client is None else principal(client)


class PrincipalCache:
    """Authenticated keys remembered for ``ttl_s`` seconds, to spare a query a request.

    A deactivated client keeps working in a process for at most ``ttl_s`` seconds.

    Parameters
    ----------
    ttl_s : float, default 30
        Seconds an entry lives.
    clock : callable, optional
        Monotonic time in seconds.
    """

    def __init__(self, ttl_s: float = 30.0, clock: Any = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, key: str) -> Principal | None:
        """The principal of ``key``, from the cache or the database."""
        digest = hash_key(key)
        now = self.clock()
        with self._lock:
            hit = self._entries.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        who = authenticate(session, key)
        with self._lock:
            if who is None:
                self._entries.pop(digest, None)
            else:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[digest] = (who, now + self.ttl_s)
        return who
