"""The printable inspection brief a port inspector takes on board, in HTML and PDF.

One page per vessel: identity, the risk tier and the indicators behind it, the recent
evidence, and the ILO C188 (Work in Fishing Convention, 2007) checklist from the ILO
guidelines for port-state control officers. The brief says what the score is: a risk
to check, never a finding; the crew are presumed victims, never suspects. It holds no
crew personal data and is never for the vessel's operator.

Pure functions of a :class:`Brief`; the API gathers the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from vessel_risk.alerts.build import CAVEAT

C188_CHECKLIST: tuple[tuple[str, str], ...] = (
    (
        "Crew list",
        "Compare the crew list with the people on board; note anyone missing from it "
        "(C188 Art. 15).",
    ),
    (
        "Identity documents held by the crew themselves",
        "Each fisher holds their own passport or identity document; none is kept by the "
        "skipper, owner or a recruitment agent (ILO forced-labour indicator: retention "
        "of identity documents).",
    ),
    (
        "Work agreements",
        "Each fisher has a signed work agreement they understand, in a language they "
        "read, with a copy on board (C188 Arts 16-20, Annex II).",
    ),
    (
        "Rest hours",
        "Rest-hour records show at least 10 h of rest in any 24 h and 77 h in any 7 days "
        "(C188 Art. 14(1)(b)); compare with the fishing days in the evidence.",
    ),
    (
        "Wages",
        "Wages are paid at least monthly as agreed, with records and the means to send "
        "them home; no unlawful deductions, recruitment fees or debts to repay "
        "(C188 Arts 23-24; ILO indicators: withholding of wages, debt bondage).",
    ),
    (
        "Medical certificates",
        "Valid medical certificates for the fishers (C188 Arts 10-12).",
    ),
    (
        "Accommodation, food and water",
        "Living conditions, food and drinking water as C188 Arts 25-28 and Annex III.",
    ),
)
"""The checks of the brief: (item, what to look for and where the rule comes from)."""

INTERVIEW_GUIDANCE = (
    "Speak with crew members privately, away from officers, with an independent "
    "interpreter. Anyone who may be a victim is a presumed victim: refer them to the "
    "national referral mechanism; support does not depend on their cooperation, and "
    "they are not punished for acts they were compelled to commit. Do not share this "
    "brief with the vessel, its owner, operator or agents."
)

PRIORITY = {
    "high": "Priority: inspect at this port call.",
    "medium": "Consider for inspection at this port call.",
    "low": "No AIS-based priority; other grounds still apply.",
    "insufficient data": (
        "Too little AIS data to judge: not a low-risk finding; other grounds still apply."
    ),
}
"""What each tier asks of the inspector, as Paris MoU-style risk profiles do."""


@dataclass(frozen=True)
class Brief:
    """Everything an inspection brief shows, for one vessel at one port.

    Attributes
    ----------
    mmsi : str
        9-character MMSI.
    shipname, callsign, imo, flag_iso3, gear : str or None
    iuu_listed : bool
    year : int
        The vessel-year of the alert.
    score : float
        Risk score in [0, 1].
    tier, model_version, data_note : str
    rank : int
    indicators : list of dict
        ``name``, ``value``, ``reason``, ``ilo_indicator``, ``source``.
    port_label, port_iso3 : str or None
        The port of the inspection.
    last_seen_utc : datetime
    events : list of dict
        ``kind``, ``start``, ``duration_h`` (hours) of the latest evidence events.
    names_seen : list of str
        Ship names the MMSI broadcast (identity history).
    generated_at_utc : datetime
    vessel, flag : str, optional
        The vessel (MMSI and transmitter track) and the flag as a person reads them
        (:mod:`vessel_risk.alerts.display`): an inferred flag is marked as inferred, with
        its source and confidence. Default: the MMSI and ``flag_iso3``.
    """

    mmsi: str
    shipname: str | None
    callsign: str | None
    imo: str | None
    flag_iso3: str | None
    gear: str | None
    iuu_listed: bool
    year: int
    score: float
    tier: str
    rank: int
    model_version: str
    data_note: str
    indicators: list[dict[str, Any]]
    port_label: str | None
    port_iso3: str | None
    last_seen_utc: datetime
    events: list[dict[str, Any]] = field(default_factory=list)
    names_seen: list[str] = field(default_factory=list)
    generated_at_utc: datetime | None = None
    vessel: str | None = None
    flag: str | None = None


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ offline_csp }}">
<title>Inspection brief {{ b.shipname or b.mmsi }}</title>
<style{% if nonce %} nonce="{{ nonce }}"{% endif %}>
body{font-family:sans-serif;max-width:48rem;margin:1.5rem auto;color:#111;font-size:11pt}
h1{font-size:16pt;margin:0} h2{font-size:12pt;margin:1rem 0 .3rem;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #bbb;padding:.2rem .4rem;
text-align:left;vertical-align:top}
.caveat{background:#fff4d6;padding:.4rem;border:1px solid #e0b84a}
.box{display:inline-block;width:.9em;height:.9em;border:1px solid #333;margin-right:.4em}
@media print{body{margin:0}}
</style></head><body>
<h1>Inspection brief: {{ b.shipname or "(no name broadcast)" }} &middot;
MMSI {{ b.vessel or b.mmsi }}</h1>
<p>Port: <b>{{ b.port_label or "unknown" }}</b>{% if b.port_iso3 %} ({{ b.port_iso3 }}){% endif %}
&middot; generated {{ generated }} UTC &middot; restricted: not for the vessel, its owner,
operator or agents.</p>
<p class="caveat">{{ caveat }}</p>
<h2>Vessel</h2>
<table>
<tr><th>Flag</th><td>{{ b.flag or b.flag_iso3 or "unknown" }}</td>
<th>Gear</th><td>{{ b.gear or "unknown" }}</td></tr>
<tr><th>Call sign</th><td>{{ b.callsign or "-" }}</td><th>IMO</th><td>{{ b.imo or "-" }}</td></tr>
<tr><th>IUU list</th><td>{{ "listed" if b.iuu_listed else "not listed" }}</td>
<th>Names broadcast</th><td>{{ b.names_seen|join(", ") or "-" }}</td></tr>
<tr><th>Last AIS position</th><td colspan="3">{{ last_seen }} UTC</td></tr>
</table>
<h2>Risk {{ b.year }}: {{ b.tier }} (score {{ "%.2f"|format(b.score) }}, rank {{ b.rank }})</h2>
<p><b>{{ priority }}</b> Scored by {{ b.model_version }}; {{ b.data_note }}.</p>
<table><tr><th>Indicator</th><th>Why</th><th>ILO indicator it stands in for</th></tr>
{% for i in b.indicators %}<tr><td>{{ i.name }}</td><td>{{ i.reason }}</td>
<td>{{ i.ilo_indicator }}</td></tr>{% else %}<tr><td colspan="3">No indicator raised
the score.</td></tr>{% endfor %}</table>
{% if b.events %}<h2>Latest evidence</h2>
<table><tr><th>Event</th><th>Start (UTC)</th><th>Duration (h)</th></tr>
{% for e in b.events %}<tr><td>{{ e.kind }}</td><td>{{ e.start }}</td>
<td>{{ "%.1f"|format(e.duration_h) }}</td></tr>{% endfor %}</table>{% endif %}
<h2>ILO C188 checklist</h2>
<table>{% for item, what in checklist %}<tr><td><span class="box"></span>{{ item }}</td>
<td>{{ what }}</td></tr>{% endfor %}</table>
<h2>Talking with the crew</h2>
<p>{{ guidance }}</p>
</body></html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))

OFFLINE_CSP = "default-src 'none'; style-src 'unsafe-inline'"
"""The Content-Security-Policy a saved brief carries in a ``<meta>`` tag: opened from
disk it runs no script and fetches nothing, whatever text a ship broadcast. Served by
the API, the response's policy applies as well (the stricter of both)."""


def _fmt(t: datetime | None) -> str:
    return "-" if t is None else t.strftime("%Y-%m-%d %H:%M")


def brief_html(brief: Brief, *, nonce: str | None = None) -> str:
    """The brief as a self-contained, printable HTML page (no external resources).

    Every value of ``brief`` is escaped: a ship name is text, never HTML.

    Parameters
    ----------
    brief : Brief
    nonce : str, optional
        The response's Content-Security-Policy nonce, put on the inline ``<style>``
        (:func:`vessel_risk.api.security.csp_nonce`); None for a file.
    """
    return _env.from_string(_HTML).render(
        nonce=nonce,
        offline_csp=OFFLINE_CSP,
        b=brief,
        caveat=CAVEAT,
        priority=PRIORITY.get(brief.tier, ""),
        checklist=C188_CHECKLIST,
        guidance=INTERVIEW_GUIDANCE,
        generated=_fmt(brief.generated_at_utc),
        last_seen=_fmt(brief.last_seen_utc),
    )


def _font_path() -> Path | None:
    """DejaVu Sans shipped with matplotlib (a dependency): Unicode text in the PDF."""
    try:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None
    return path if path.exists() else None


def brief_pdf(brief: Brief) -> bytes:
    """The brief as an A4 PDF (fpdf2, no system dependencies, no network).

    Returns
    -------
    bytes
        The PDF document, starting ``%PDF-``.
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_margins(14, 12, 14)
    pdf.add_page()
    font = _font_path()
    if font is not None:
        pdf.add_font("dejavu", "", str(font))
        bold = font.with_name("DejaVuSans-Bold.ttf")
        pdf.add_font("dejavu", "B", str(bold if bold.exists() else font))
        family = "dejavu"
    else:  # pragma: no cover
        family = "helvetica"
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def text(s: str, size: float = 10, style: str = "", gap: float = 1.0) -> None:
        pdf.set_font(family, style, size)
        if family == "helvetica":  # pragma: no cover - core fonts are Latin-1
            s = s.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(width, size * 0.5, s, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    b = brief
    text(
        f"Inspection brief: {b.shipname or '(no name broadcast)'} - MMSI {b.vessel or b.mmsi}",
        14,
        "B",
    )
    port = f"{b.port_label or 'unknown'}" + (f" ({b.port_iso3})" if b.port_iso3 else "")
    text(
        f"Port: {port}. Generated {_fmt(b.generated_at_utc)} UTC. Restricted: not for the "
        "vessel, its owner, operator or agents.",
        9,
    )
    text(CAVEAT, 9, "B", 2)
    text("Vessel", 12, "B")
    text(
        f"Flag {b.flag or b.flag_iso3 or 'unknown'}; gear {b.gear or 'unknown'}; call sign "
        f"{b.callsign or '-'}; IMO {b.imo or '-'}; IUU list: "
        f"{'listed' if b.iuu_listed else 'not listed'}; names broadcast: "
        f"{', '.join(b.names_seen) or '-'}; last AIS position {_fmt(b.last_seen_utc)} UTC.",
        gap=2,
    )
    text(f"Risk {b.year}: {b.tier} (score {b.score:.2f}, rank {b.rank})", 12, "B")
    text(f"{PRIORITY.get(b.tier, '')} Scored by {b.model_version}; {b.data_note}.")
    for i in b.indicators:
        text(f"- {i['reason']} [ILO: {i['ilo_indicator']}]", 9)
    if not b.indicators:
        text("No indicator raised the score.", 9)
    if b.events:
        text("Latest evidence", 12, "B")
        for e in b.events:
            text(f"- {e['kind']} from {e['start']} UTC, {float(e['duration_h']):.1f} h", 9, gap=0)
        pdf.ln(2)
    text("ILO C188 checklist", 12, "B")
    for item, what in C188_CHECKLIST:
        text(f"[  ] {item}: {what}", 9)
    text("Talking with the crew", 12, "B")
    text(INTERVIEW_GUIDANCE, 9)
    return bytes(pdf.output())
