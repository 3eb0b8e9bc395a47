"""Referral of presumed victims.

Notices, routing to agencies, personal data, follow-ups, inspection briefs.
"""
