"""Referral of presumed victims: notices to the agencies that can protect a vessel's crew.

The crew are presumed victims, never suspects; protection comes first, and a person
approves a notice before anything leaves the system (except where an agency's own rule
allows automatic referral).

Modules
-------
payload
    What a notice says (:class:`NoticePayload`): vessel data and evidence, no crew
    personal data.
routing
    Which agencies a notice goes to: the directory records and the rules, pure.
directory
    The agency directory read from files, stored in the database, loaded for routing.
follow_ups
    The clocks of an approved notice (reflection period, follow-ups, reminders), pure.
notices
    Notices created, approved, withdrawn and referred automatically (session side).
personal_data
    Minimised crew data added with consent, audited, purged after retention.
briefs
    The printable inspection brief for a port inspector.
case_store
    Cases in the database: open from a screening, move, consents, intake reads,
    follow-ups, transfers, closure and retention (session side; with ``case_records``
    and ``case_tasks``).
cases
    One person's case: the NRM state machine and consent uses, pure.
reflection
    The reflection and recovery period by the rule of the state, pure.
screening
    The intake form of a person, the presumed-victim rule, age presumption, pure.
monitoring, monitoring_figures
    The mechanism's figures for a coordinating body (registry ``FIGURES``), pure;
    ``monitoring_load`` reads the database into its frames.
"""

from vessel_risk.referral.briefs import Brief, brief_html, brief_pdf
from vessel_risk.referral.case_store import (
    TRANSFER_PURPOSES,
    assign_child_protection,
    case_transfers,
    cases_in_reflection,
    child_protection_missing,
    complete_follow_up,
    current_consents,
    notify_overdue,
    open_case,
    overdue_follow_ups,
    read_intake,
    record_consent,
    reflection_phases,
    request_transfer,
    schedule_follow_ups,
    transition,
    update_transfer,
)
from vessel_risk.referral.cases import (
    CASE_STATES,
    CASE_TRANSITIONS,
    CONSENT_DEFAULTS,
    CONSENT_USES,
    CaseError,
    check_transition,
)
from vessel_risk.referral.directory import (
    active_agencies,
    as_record,
    load_directory,
    psma_port_authorities,
    read_directory,
)
from vessel_risk.referral.follow_ups import (
    FOLLOW_UP_MONTHS,
    MIN_REFLECTION_DAYS,
    NoticeClocks,
    follow_up_schedule,
    reflection_end,
    reflection_period_days,
    reminders_due,
)
from vessel_risk.referral.notices import (
    NoticeError,
    approve_notice,
    auto_refer,
    create_notice,
    due_reminders,
    notice_html,
    withdraw_notice,
)
from vessel_risk.referral.payload import (
    DATA_PROTECTION,
    PRESUMED_VICTIMS,
    NoticePayload,
    build_payload,
    coastal_states,
)
from vessel_risk.referral.personal_data import (
    DEFAULT_RETENTION_DAYS,
    PERSONAL_FIELDS,
    add_personal_data,
    purge_expired,
    read_personal_data,
)
from vessel_risk.referral.reflection import REFLECTION_RULES, ReflectionRule, reflection_rule
from vessel_risk.referral.routing import (
    AgencyRecord,
    Directory,
    Fleet,
    Route,
    crew_countries,
    normalize_port,
    route,
)
from vessel_risk.referral.screening import (
    CASE_STATEMENT,
    IntakeForm,
    ScreeningResult,
    intake_fields,
    prefill,
    presumed_child,
    screen,
)

__all__ = [
    "CASE_STATEMENT",
    "CASE_STATES",
    "CASE_TRANSITIONS",
    "CONSENT_DEFAULTS",
    "CONSENT_USES",
    "DATA_PROTECTION",
    "DEFAULT_RETENTION_DAYS",
    "FOLLOW_UP_MONTHS",
    "MIN_REFLECTION_DAYS",
    "PERSONAL_FIELDS",
    "PRESUMED_VICTIMS",
    "REFLECTION_RULES",
    "TRANSFER_PURPOSES",
    "AgencyRecord",
    "Brief",
    "CaseError",
    "Directory",
    "Fleet",
    "IntakeForm",
    "NoticeClocks",
    "NoticeError",
    "NoticePayload",
    "ReflectionRule",
    "Route",
    "ScreeningResult",
    "active_agencies",
    "add_personal_data",
    "approve_notice",
    "as_record",
    "assign_child_protection",
    "auto_refer",
    "brief_html",
    "brief_pdf",
    "build_payload",
    "case_transfers",
    "cases_in_reflection",
    "check_transition",
    "child_protection_missing",
    "coastal_states",
    "complete_follow_up",
    "create_notice",
    "crew_countries",
    "current_consents",
    "due_reminders",
    "follow_up_schedule",
    "intake_fields",
    "load_directory",
    "normalize_port",
    "notice_html",
    "notify_overdue",
    "open_case",
    "overdue_follow_ups",
    "prefill",
    "presumed_child",
    "psma_port_authorities",
    "purge_expired",
    "read_directory",
    "read_intake",
    "reflection_phases",
    "read_personal_data",
    "record_consent",
    "reflection_end",
    "reflection_period_days",
    "reflection_rule",
    "reminders_due",
    "request_transfer",
    "route",
    "schedule_follow_ups",
    "screen",
    "transition",
    "update_transfer",
    "withdraw_notice",
]
