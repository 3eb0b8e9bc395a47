"""AIS destinations matched to a port list (vessel_risk.geo.ports)."""

from __future__ import annotations

import pandas as pd

from vessel_risk.geo.ports import default_ports, match_destination, port_names

PORTS = pd.DataFrame(
    {
        "port_label": ["PUNTA ARENAS", "PUNTA ARENAS", "SAN JOSE", "SAN JOSE", "BUSAN", "LIMA"],
        "port_iso3": ["CHL", "CHL", "CRI", "GTM", "KOR", "PER"],
        "lat": [-53.16, -53.10, 9.9, 13.9, 35.1, -12.0],
        "lon": [-70.91, -70.85, -84.1, -90.8, 129.0, -77.1],
    }
)


def test_a_destination_names_one_port_after_normalising():
    assert match_destination("Puerto de Punta Arenas", PORTS) == 0  # anchorages 7 km apart
    assert match_destination("CN SHA>Busan Port", PORTS) == 4
    names = port_names(PORTS)
    assert names["PUNTA ARENAS"] == [0, 1]
    assert match_destination("busan", PORTS, names) == 4


def test_ambiguous_unknown_or_country_only_destinations_name_no_port():
    assert match_destination("SAN JOSE", PORTS) is None  # two countries
    assert match_destination("KR PUS", PORTS) is None  # a UN/LOCODE gives a country only
    assert match_destination("FOR ORDERS", PORTS) is None
    assert match_destination("", PORTS) is None
    assert match_destination(None, PORTS) is None
    far = pd.concat([PORTS, PORTS.iloc[[5]].assign(lat=-5.0)], ignore_index=True)
    assert match_destination("LIMA", far) is None  # one name, 780 km apart


def test_the_shipped_port_list_matches_names_and_un_locodes():
    ports = default_ports()
    found = {
        d: (ports["port_label"].iloc[r], ports["port_iso3"].iloc[r])
        for d in ("Montevideo", "KR PUS", "CN SHA>KR-PUS", "PECLL", "BUSAN")
        if (r := match_destination(d, ports)) is not None
    }
    assert found == {
        "Montevideo": ("MONTEVIDEO", "URY"),
        "KR PUS": ("PUSAN", "KOR"),
        "CN SHA>KR-PUS": ("PUSAN", "KOR"),
        "PECLL": ("CALLAO", "PER"),
    }  # the list names Busan by its older spelling, Pusan
