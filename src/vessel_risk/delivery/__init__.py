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
   a person.
3. Receivers report what became of a notice through signed status callbacks, applied
   by :func:`apply_status_callback` (:mod:`~vessel_risk.delivery.callbacks`).
4. Dead letters and manual pickups are left for a person (:func:`requeue`,
   :func:`mark_handed_over`).

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
    webhook_body,
)
from vessel_risk.delivery.worker import DeliveryCounts, deliver_due, run_worker

__all__ = [
    "ACTOR",
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
