"""The standard lists screening, inspections and follow-ups record against.

Shared by the inspection form, the screening intake and the follow-ups, so that every
record names an indicator the same way (the regional exchange of standard indicators
the seed report asks for, §5.5).
"""

from __future__ import annotations

from collections.abc import Iterable

ILO_INDICATORS: dict[str, str] = {
    "abuse_of_vulnerability": "abuse of vulnerability",
    "deception": "deception",
    "restriction_of_movement": "restriction of movement",
    "isolation": "isolation",
    "physical_sexual_violence": "physical and sexual violence",
    "intimidation_threats": "intimidation and threats",
    "retention_of_documents": "retention of identity documents",
    "withholding_of_wages": "withholding of wages",
    "debt_bondage": "debt bondage",
    "abusive_conditions": "abusive working and living conditions",
    "excessive_overtime": "excessive overtime",
}
"""The ILO's 11 indicators of forced labour, key to label (ILO, *Indicators of Forced
Labour*, 2012, based on Convention No. 29). One can suffice; usually several appear
together."""

C188_DOCUMENTS: dict[str, str] = {
    "crew_list": "crew list",
    "work_agreements": "fishers' work agreements",
    "rest_hour_records": "records of hours of rest",
    "identity_documents_held_by_crew": "crew hold their own identity documents",
    "wage_records": "records of wages paid",
    "medical_certificates": "medical certificates",
    "living_conditions": "accommodation and living conditions",
}
"""What a port-state control officer checks on a fishing vessel under ILO C188 (Work in
Fishing Convention, 2007; ILO Guidelines for port State control officers carrying out
inspections under C188, 2017), key to label."""

DOCUMENT_STATUSES = ("seen", "missing", "not_checked")
"""The status of each :data:`C188_DOCUMENTS` item in an inspection."""

IACAT_INDICATORS: dict[str, str] = {
    "individual_recovery": (
        "individual recovery of the system of vital values and perception of the world"
    ),
    "family_reintegration": "family reintegration",
    "community_reintegration": "reintegration into the community",
    "economic_reintegration": "economic reintegration",
    "cultural_reintegration": "cultural reintegration",
    "spiritual_reintegration": "spiritual reintegration",
    "legal_rights": "retrieval or realisation of legal rights",
}
"""The Philippines IACAT indicators of a survivor's reintegration, key to label (seed
report §5.6)."""

IACAT_STATUSES = ("not_started", "in_progress", "achieved", "not_applicable")
"""The status of each :data:`IACAT_INDICATORS` item at a follow-up."""


def check_ilo_indicators(keys: Iterable[str]) -> None:
    """Refuse any of ``keys`` that is not one of :data:`ILO_INDICATORS`.

    Raises
    ------
    ValueError
        Naming the unknown keys and the known ones (a pydantic validator's 422).
    """
    unknown = sorted(set(keys) - set(ILO_INDICATORS))
    if unknown:
        raise ValueError(f"Unknown ILO indicators {unknown}; known: {sorted(ILO_INDICATORS)}.")
