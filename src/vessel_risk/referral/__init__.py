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
"""

from vessel_risk.referral.briefs import Brief, brief_html, brief_pdf
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
from vessel_risk.referral.routing import (
    AgencyRecord,
    Directory,
    Fleet,
    Route,
    crew_countries,
    normalize_port,
    route,
)

__all__ = [
    "DATA_PROTECTION",
    "DEFAULT_RETENTION_DAYS",
    "FOLLOW_UP_MONTHS",
    "MIN_REFLECTION_DAYS",
    "PERSONAL_FIELDS",
    "PRESUMED_VICTIMS",
    "AgencyRecord",
    "Brief",
    "Directory",
    "Fleet",
    "NoticeClocks",
    "NoticeError",
    "NoticePayload",
    "Route",
    "active_agencies",
    "add_personal_data",
    "approve_notice",
    "as_record",
    "auto_refer",
    "brief_html",
    "brief_pdf",
    "build_payload",
    "coastal_states",
    "create_notice",
    "crew_countries",
    "due_reminders",
    "follow_up_schedule",
    "load_directory",
    "normalize_port",
    "notice_html",
    "psma_port_authorities",
    "purge_expired",
    "read_directory",
    "read_personal_data",
    "reflection_end",
    "reflection_period_days",
    "reminders_due",
    "route",
    "withdraw_notice",
]
