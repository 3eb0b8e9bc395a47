"""The dashboard's offline base map: land and coastline from Natural Earth.

The maps of the dashboard draw their points over land polygons the app serves itself
(``static/dashboard/land.geojson``), so they need no tile server and no network: the
Content-Security-Policy allows nothing from another origin anyway. The file ships
inside the package; :func:`land_geojson` makes it from Natural Earth's 1:50m land
polygons (``ne_land_50m``, public domain: naturalearthdata.com/about/terms-of-use),
simplified to :data:`SIMPLIFY_DEG` and rounded to :data:`DIGITS` decimals, and
``python -m vessel_risk.api.basemap SOURCE [OUT]`` writes it again (a test checks the
shipped file is what the function makes from the shared data).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LAND_PATH = Path(__file__).with_name("static") / "dashboard" / "land.geojson"
"""The shipped land layer (GeoJSON FeatureCollection, EPSG:4326, one MultiPolygon)."""
SIMPLIFY_DEG = 0.02
"""Douglas-Peucker tolerance, degrees (about 2 km): below the width a port approach
shows at the zoom of a vessel's track, and it keeps the file near 0.6 MB."""
DIGITS = 2
"""Decimals kept in each coordinate (0.01°, about 1 km)."""
ATTRIBUTION = "Land: Natural Earth 1:50m (public domain)"
"""What the map's attribution says of the land layer."""


def land_geojson(
    source: Path, *, tolerance_deg: float = SIMPLIFY_DEG, digits: int = DIGITS
) -> dict[str, Any]:
    """The land layer of the dashboard's maps from a Natural Earth land file.

    Parameters
    ----------
    source : Path
        Natural Earth land polygons in any format geopandas reads (the shared data's
        ``geo/ne_land_50m.gpkg``), in EPSG:4326 or a CRS geopandas can reproject.
    tolerance_deg : float, default :data:`SIMPLIFY_DEG`
        Simplification tolerance, degrees (topology kept: no ring crosses itself).
    digits : int, default :data:`DIGITS`
        Decimals of each coordinate.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection (RFC 7946) of one feature: the land as a
        MultiPolygon, its polygons in the order of the source, those that
        simplification or rounding emptied left out; properties ``source`` and
        ``attribution``.

    Raises
    ------
    ValueError
        If ``source`` holds no polygon.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    frame = gpd.read_file(source)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    parts = frame.geometry.explode(index_parts=False).to_numpy()
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    if len(parts) == 0:
        raise ValueError(f"{source} holds no polygon: expected Natural Earth land polygons.")
    simple = shapely.simplify(parts, tolerance_deg, preserve_topology=True)
    rounded = shapely.transform(simple, lambda xy: np.round(xy, digits))
    kept = rounded[~shapely.is_empty(rounded) & (shapely.area(rounded) > 0)]
    polygons = [
        part
        for p in kept.tolist()
        for part in across_antimeridian(
            [[[float(x), float(y)] for x, y in ring] for ring in _rings(p)]
        )
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"source": Path(source).name, "attribution": ATTRIBUTION},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
        ],
    }


Ring = list[list[float]]


def _unwrap(ring: Ring) -> tuple[Ring, int]:
    """``ring`` with each longitude within 180° of the one before (steps of 360° added),
    and the turns it makes around the pole (0 for a ring that closes)."""
    out = [list(ring[0])]
    offset = 0.0
    for (x0, _), (x1, y1) in zip(ring, ring[1:], strict=False):
        if x1 - x0 > 180:
            offset -= 360
        elif x1 - x0 < -180:
            offset += 360
        out.append([x1 + offset, y1])
    return out, round(offset / 360)


def _polar(ring: Ring) -> Ring:
    """A ring around a pole (Antarctica) closed along that pole at its antimeridian seam."""
    pole = -90.0 if sum(y for _, y in ring) < 0 else 90.0
    out: Ring = [list(ring[0])]
    for (x0, _), (x1, y1) in zip(ring, ring[1:], strict=False):
        if abs(x1 - x0) > 180:
            side = 180.0 if x0 > 0 else -180.0
            out += [[side, pole], [-side, pole]]
        out.append([x1, y1])
    return out


def across_antimeridian(polygon: list[Ring]) -> list[list[Ring]]:
    """A polygon as a map in Web Mercator can draw it, each ring without a 360° jump.

    Natural Earth's dissolved land joins the two sides of the antimeridian with seam
    edges from -180° to 180° (Chukotka, Wrangel Island, Fiji), which a map would draw
    as lines across the world. Such a polygon is unwrapped (longitudes beyond ±180°)
    and cut at the antimeridian into a part on each side; a ring around the pole
    (Antarctica) is closed along the pole instead, and its holes within 1° of the pole
    are left out.

    Parameters
    ----------
    polygon : list of rings
        Exterior then holes, each a list of ``[lon, lat]`` (degrees) closing on its
        first point.

    Returns
    -------
    list of polygons
        The polygon, or its parts on either side of the antimeridian.
    """
    outer, turns = _unwrap(polygon[0])
    if turns:
        holes = [h for h in polygon[1:] if min(abs(y) for _, y in h) < 89.0]
        return [[_polar(polygon[0]), *holes]]
    if all(-180 <= x <= 180 for x, _ in outer):
        return [polygon]
    rings = [outer, *(_unwrap(h)[0] for h in polygon[1:])]
    mean = sum(x for x, _ in outer) / len(outer)
    shift = -360.0 if mean > 180 else 360.0 if mean < -180 else 0.0
    rings = [[[x + shift, y] for x, y in r] for r in rings]
    other = -360.0 if max(x for x, _ in rings[0]) > 180 else 360.0
    copies = [rings, [[[x + other, y] for x, y in r] for r in rings]]
    return [part for c in copies for part in _clip_to_world(c)]


def _clip_to_world(polygon: list[Ring]) -> list[list[Ring]]:
    """The parts of ``polygon`` between -180° and 180° of longitude."""
    import shapely

    clipped = shapely.clip_by_rect(shapely.Polygon(polygon[0], polygon[1:]), -180, -90, 180, 90)
    parts = getattr(clipped, "geoms", [clipped])
    return [
        [[[float(x), float(y)] for x, y in ring] for ring in _rings(g)]
        for g in parts
        if isinstance(g, shapely.Polygon) and not g.is_empty and g.area > 0
    ]


def _rings(polygon: Any) -> list[Any]:
    """Exterior then interior rings of a shapely polygon, as coordinate sequences."""
    return [polygon.exterior.coords, *(r.coords for r in polygon.interiors)]


def dumps(layer: dict[str, Any]) -> str:
    """The layer as compact JSON text (no spaces), as the shipped file holds it."""
    return json.dumps(layer, separators=(",", ":"))


def main(argv: list[str] | None = None) -> int:
    """Write the land layer: ``python -m vessel_risk.api.basemap SOURCE [OUT]``.

    ``OUT`` defaults to :data:`LAND_PATH` (the shipped file).
    """
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print("usage: python -m vessel_risk.api.basemap NE_LAND_FILE [OUT]", file=sys.stderr)
        return 2
    out = Path(args[1]) if len(args) == 2 else LAND_PATH
    text = dumps(land_geojson(Path(args[0])))
    out.write_text(text, encoding="utf-8")
    print(f"{out}: {len(text):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
