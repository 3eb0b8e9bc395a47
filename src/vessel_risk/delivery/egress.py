"""Outbound HTTP that reaches public addresses only: the SSRF guard at connect time.

A webhook target or a Primero base URL is checked when it is configured (an API
client's subscription may not name this machine or a private network:
:mod:`vessel_risk.referral.subscription_store`), but a host *name* is only an address
when it is resolved: ``hooks.example.org`` may resolve to ``127.0.0.1``, ``10.0.0.5``
or the cloud metadata service ``169.254.169.254`` when the request is made, or answer
a public address to the check and a private one to the connection (DNS rebinding).

So every outbound HTTP connection of the delivery worker is vetted where it is made:
:class:`GuardedBackend` is an ``httpcore`` network backend whose ``connect_tcp``
resolves the host once, refuses the connection if *any* address is not public
(:func:`public_address`), and connects to the vetted address itself, so there is no
second resolution to rebind. TLS is then negotiated by ``httpcore`` with the original
host name (server name indication and certificate verification are by name, not by
address), and the ``Host`` header is the URL's: nothing else changes for the receiver.
Connection pools are keyed by the URL's origin, so a pooled connection is never
shared between two host names that happen to resolve to one address.

:func:`guarded_client` is the ``httpx.Client`` built on it; redirects are never
followed (a ``3xx`` is the receiver's answer, recorded as a failed attempt), so a
public host cannot send the worker on to a private one. Environment proxies are not
used (``httpx`` ignores them when a transport is given): a proxy would resolve the name
itself, out of the guard's sight.

A connection has one time budget, the client's connect timeout: the name lookup (which
the system resolver would otherwise let run for as long as the name's DNS servers
stall) and every address tried share it, so a subscriber who controls their domain's
DNS cannot hold a delivery attempt longer than that.

``allow_local`` is the operator's explicit allowance (``vessel-risk deliver
--allow-local``, and the tests' receivers on 127.0.0.1): addresses are still resolved
once and connected to directly, but private ones are allowed. The API never sets it.

A refused connection raises :class:`EgressRefused`, an ``httpx.ConnectError``: the
transports record it as a failed attempt (``SendResult.error``), which the worker
counts and retries by its policy like any other connection failure.

References
----------
- OWASP Server-Side Request Forgery Prevention Cheat Sheet (2024): resolve, validate
  every address, and connect to the validated address; do not follow redirects.
- IANA IPv4/IPv6 Special-Purpose Address Registries, as encoded in Python's
  ``ipaddress.is_global``; the AWS instance metadata addresses ``169.254.169.254`` and
  ``fd00:ec2::254`` (AWS EC2 User Guide, "Instance metadata service").
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

__all__ = [
    "METADATA_ADDRESSES",
    "LOOKUP_TIMEOUT_S",
    "EgressRefused",
    "GuardedBackend",
    "GuardedTransport",
    "guarded_client",
    "public_address",
    "resolve_vetted",
]

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
"""Cloud instance metadata services (AWS, and the same IPv4 address on GCP and Azure):
never reachable, even with ``allow_local``."""

_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: an IPv4 address in the low 32 bits
_COMPATIBLE = ipaddress.ip_network("::/96")  # IPv4-compatible, deprecated (RFC 4291 2.5.5.1)
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # IPv4-translated (RFC 2765)
_NOT_PUBLIC_V6 = (
    _COMPATIBLE,
    _TRANSLATED,
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215): not global
    ipaddress.ip_network("fec0::/10"),  # site-local, deprecated (RFC 3879)
)
"""IPv6 ranges Python 3.11's ``is_global`` calls global, refused outright."""


class EgressRefused(httpx.ConnectError):
    """A connection refused because its host resolves to an address that is not public."""


class _Refused(httpcore.ConnectError):
    """:class:`EgressRefused` inside ``httpcore`` (which drops exception causes)."""


def _carried(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (IPv4-mapped, 6to4, NAT64, IPv4-compatible,
    IPv4-translated), else None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    carried = ip.ipv4_mapped or ip.sixtofour
    if carried is None and any(ip in net for net in (_NAT64, _COMPATIBLE, _TRANSLATED)):
        carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return carried


def _metadata(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is a metadata address, or an IPv6 address carrying one."""
    return ip in METADATA_ADDRESSES or _carried(ip) in METADATA_ADDRESSES


def public_address(address: str) -> bool:
    """Whether ``address`` (an IP literal, v4 or v6, maybe with a ``%zone``) is public.

    Public means globally routable (``ipaddress.is_global``) and not multicast; an IPv6
    address that carries an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``,
    NAT64 ``64:ff9b::/96``) is judged by the IPv4 address it carries; IPv4-compatible
    ``::/96``, IPv4-translated ``::ffff:0:0:0/96``, local-use NAT64 ``64:ff9b:1::/48``
    and site-local ``fec0::/10`` are never public.

    Parameters
    ----------
    address : str

    Returns
    -------
    bool
        False for loopback, private (RFC 1918, unique local ``fc00::/7``), link-local
        (including the metadata service ``169.254.169.254``), shared (``100.64/10``),
        reserved, unspecified and multicast addresses, and for anything that is not an
        IP address.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _NOT_PUBLIC_V6):
            return False
        carried = ip.ipv4_mapped or ip.sixtofour
        if carried is None and ip in _NAT64:
            carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if carried is not None:
            ip = carried
    return ip.is_global and not ip.is_multicast and ip not in METADATA_ADDRESSES


LOOKUP_TIMEOUT_S = 10.0
"""Longest a name lookup may take when the caller gives no timeout, in seconds."""

# Names whose last lookup outlived its timeout and is still running. Each lookup runs on
# its own daemon thread, so a stalled one holds nothing that other names need (a shared
# pool was starved by four stalled names) and never delays the process's exit; a name
# stays refused at once until its stalled lookup ends, so retries do not pile threads.
_unanswered: set[str] = set()
_unanswered_lock = threading.Lock()


def _getaddrinfo(host: str, port: int, limit: float) -> list[Any]:
    """``socket.getaddrinfo`` given up on after ``limit`` seconds (:class:`EgressRefused`)."""
    with _unanswered_lock:
        if host in _unanswered:
            raise EgressRefused(f"cannot resolve {host!r}: an earlier lookup is still unanswered")
    box: dict[str, Any] = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # handed to the caller
            box["error"] = exc
        finally:
            done.set()
            with _unanswered_lock:
                _unanswered.discard(host)

    threading.Thread(target=lookup, name="egress-lookup", daemon=True).start()
    if not done.wait(max(limit, 0.0)):
        with _unanswered_lock:
            _unanswered.add(host)
            if done.is_set():  # it ended between the wait and the lock
                _unanswered.discard(host)
        raise EgressRefused(f"cannot resolve {host!r}: no answer within {limit:g} s")
    if "error" in box:
        raise box["error"]
    infos: list[Any] = box["infos"]
    return infos


def resolve_vetted(
    host: str, port: int, *, allow_local: bool = False, timeout_s: float | None = None
) -> list[str]:
    """Resolve ``host`` once and return its addresses, all of them vetted.

    Parameters
    ----------
    host : str
        A host name or an IP literal (from a URL).
    port : int
    timeout_s : float, optional
        Longest the lookup may take, in seconds (default :data:`LOOKUP_TIMEOUT_S`).
    allow_local : bool, default False
        Allow loopback and private addresses (the operator's allowance); the metadata
        addresses stay refused, and so do IPv6 addresses carrying them
        (``::ffff:169.254.169.254``, NAT64, 6to4: a dual-stack socket reaches the IPv4
        service through them).

    Returns
    -------
    list of str
        The addresses in resolver order (at least one).

    Raises
    ------
    EgressRefused
        The name does not resolve within ``timeout_s``, or any of its addresses is not
        public (so a name that answers one public and one private address is refused:
        which one a later connection would use is not ours to know).
    """
    limit = LOOKUP_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        infos = _getaddrinfo(host, port, limit)
    except (socket.gaierror, UnicodeError) as exc:
        raise EgressRefused(f"cannot resolve {host!r}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise EgressRefused(f"{host!r} resolves to no address")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if _metadata(ip) or not (allow_local or public_address(address)):
            raise EgressRefused(
                f"refused: {host!r} resolves to {address}, which is not a public address "
                "(this machine, a private network or a metadata service)"
            )
    return addresses


class GuardedBackend(httpcore.NetworkBackend):
    """An ``httpcore`` network backend that connects only to vetted addresses.

    ``connect_tcp`` resolves the host with :func:`resolve_vetted` and connects to the
    first address that accepts; the lookup and all the attempts share one deadline,
    ``timeout`` seconds from the call. Unix sockets are refused.

    Parameters
    ----------
    allow_local : bool, default False
        See :func:`resolve_vetted`.
    """

    def __init__(self, *, allow_local: bool = False) -> None:
        self.allow_local = allow_local
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolve, vet, and connect to the vetted address (never re-resolved)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            addresses = resolve_vetted(host, port, allow_local=self.allow_local, timeout_s=timeout)
        except EgressRefused as exc:
            raise _Refused(str(exc)) from exc
        last: Exception | None = None
        for address in addresses:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise httpcore.ConnectTimeout(
                    f"no address of {host!r} accepted within {timeout:g} s"
                ) from last
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=left,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Refused: outbound requests go over TCP to vetted addresses only."""
        raise httpcore.ConnectError("refused: no Unix socket connections")

    def sleep(self, seconds: float) -> None:
        """As the standard backend."""
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connection pool uses :class:`GuardedBackend`.

    ``httpx`` has no public argument for the network backend, so the pool the parent
    made is replaced by an ``httpcore.ConnectionPool`` with the same TLS context and
    limits and the guarded backend (the approach ``httpcore``'s documentation gives
    for custom backends). A refusal surfaces as :class:`EgressRefused`.

    Parameters
    ----------
    allow_local : bool, default False
    limits : httpx.Limits, optional
    verify : ssl.SSLContext or bool, default True
        As ``httpx``'s ``verify``: the system's certificate authorities by default
        (tests pass a context trusting their own certificate).
    """

    def __init__(
        self,
        *,
        allow_local: bool = False,
        limits: httpx.Limits | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        super().__init__(limits=limits, trust_env=False)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            # An httpx that keeps its pool elsewhere would send around the guard.
            raise RuntimeError("httpx.HTTPTransport no longer has _pool: update GuardedTransport")
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_local=allow_local),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """As ``HTTPTransport``; a refused connection raises :class:`EgressRefused`."""
        try:
            return super().handle_request(request)
        except httpx.ConnectError as exc:
            if isinstance(exc.__cause__, _Refused):
                raise EgressRefused(str(exc), request=request) from exc
            raise


def guarded_client(
    *, timeout_s: float = 10.0, allow_local: bool = False, verify: ssl.SSLContext | bool = True
) -> httpx.Client:
    """An ``httpx.Client`` for outbound deliveries: vetted addresses, no redirects.

    Parameters
    ----------
    timeout_s : float, default 10
        Connect, read and write timeout, in seconds.
    allow_local : bool, default False
        The operator's allowance for loopback and private targets.
    verify : ssl.SSLContext or bool, default True
        As :class:`GuardedTransport`.

    Returns
    -------
    httpx.Client
        ``follow_redirects=False``, no environment proxies, :class:`GuardedTransport`.
    """
    return httpx.Client(
        timeout=timeout_s,
        follow_redirects=False,
        transport=GuardedTransport(allow_local=allow_local, verify=verify),
        trust_env=False,
    )
