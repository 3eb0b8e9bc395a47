"""Delivery of referral notices to agencies: a transactional outbox and its worker.

A notice reaches an agency in four steps:

1. :func:`enqueue` writes one outbox row per (notice, agency) in the caller's
   transaction (:mod:`~vessel_risk.delivery.outbox`).
2. :func:`deliver_due` (``vessel-risk deliver``, :func:`run_worker`) leases due rows,
   sends them through the agency's transport and records every attempt
   (:mod:`~vessel_risk.delivery.worker`); the policy decides what a result means and
   when to try again (:mod:`~vessel_risk.delivery.policy`). Transports
   (:mod:`~vessel_risk.delivery.transports`) post signed Standard Webhooks
   (:mod:`~vessel_risk.delivery.signing`), create Primero cases, or leave the notice to
   a person; every HTTP connection goes to a public address only, vetted when it is
   made (:mod:`~vessel_risk.delivery.egress`).
3. Receivers report what became of a notice through signed status callbacks, applied
   by :func:`apply_status_callback` (:mod:`~vessel_risk.delivery.callbacks`).
4. Dead letters and manual pickups are left for a person (:func:`requeue`,
   :func:`requeue_delivery`, :func:`mark_handed_over`).

Messages about one person's case (issue 17) use the same outbox
(:mod:`~vessel_risk.delivery.cases`: :func:`enqueue_case_message`, and
:func:`revoke_deliveries` when the person withdraws a consent); a withdrawn notice is
followed to its recipients (:func:`notify_withdrawn`). Personal data past retention is
unreadable and purged (:mod:`~vessel_risk.delivery.retention`), on the worker's schedule.

Delivery decides nothing about who gets a notice or whether it may go: routing and
approval are :mod:`vessel_risk.referral`'s.
"""

from vessel_risk.delivery.callbacks import (
    RECEIVER_STATUSES,
    ReceiverStatusError,
    agency_secrets,
    apply_status_callback,
    verify_callback,
)
from vessel_risk.delivery.cases import (
    CASE_REFERRAL,
    CONSENT_REVOKED,
    NON_PUNISHMENT,
    NOTICE_WITHDRAWN,
    enqueue_case_message,
    notify_withdrawn,
    requeue_delivery,
    revoke_deliveries,
)
from vessel_risk.delivery.outbox import (
    ACTOR,
    EVENT_TYPE,
    cancel_pending,
    delivery_history,
    enqueue,
    mark_handed_over,
    requeue,
)
from vessel_risk.delivery.policy import backoff_s, classify
from vessel_risk.delivery.retention import intake_readable, purge_expired_personal_data
from vessel_risk.delivery.signing import (
    WebhookVerificationError,
    generate_secret,
    sign,
    verify,
    webhook_headers,
)
from vessel_risk.delivery.transports import (
    ManualTransport,
    OutboundMessage,
    PrimeroTransport,
    SendResult,
    Transport,
    WebhookTransport,
    primero_case,
    primero_person_case,
    webhook_body,
)
from vessel_risk.delivery.worker import DeliveryCounts, deliver_due, run_worker

__all__ = [
    "ACTOR",
    "CASE_REFERRAL",
    "CONSENT_REVOKED",
    "NON_PUNISHMENT",
    "NOTICE_WITHDRAWN",
    "enqueue_case_message",
    "intake_readable",
    "notify_withdrawn",
    "primero_person_case",
    "purge_expired_personal_data",
    "requeue_delivery",
    "revoke_deliveries",
    "EVENT_TYPE",
    "RECEIVER_STATUSES",
    "DeliveryCounts",
    "ManualTransport",
    "OutboundMessage",
    "PrimeroTransport",
    "ReceiverStatusError",
    "SendResult",
    "Transport",
    "WebhookTransport",
    "WebhookVerificationError",
    "agency_secrets",
    "apply_status_callback",
    "backoff_s",
    "cancel_pending",
    "classify",
    "deliver_due",
    "delivery_history",
    "enqueue",
    "generate_secret",
    "mark_handed_over",
    "primero_case",
    "requeue",
    "run_worker",
    "sign",
    "verify",
    "verify_callback",
    "webhook_body",
    "webhook_headers",
]
