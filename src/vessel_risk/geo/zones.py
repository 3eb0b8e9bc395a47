"""Maritime zones from polygons a user supplies: which EEZ each position lies in.

Exclusive economic zones decide two of GFW's forced-labour features: fishing on the high
seas (outside every EEZ) and fishing in a foreign EEZ (one whose state is not the flag
state). EEZ polygons are not shipped (Marine Regions' EEZ layer is CC BY-NC-SA and
large), so without them the pipeline approximates the high seas as more than 200 nm
(UNCLOS Art. 57) from every coast and leaves ``fishing_hours_foreign_eez`` unknown.
With ``--eez PATH`` (any vector file geopandas reads: GeoPackage, GeoJSON, shapefile)
each position gets the ISO 3166 alpha-3 code of the polygon it lies in.

Pure functions of frames and one file read; no network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

ISO3_COLUMNS = ("ISO_SOV1", "iso_sov1", "ISO_TER1", "iso3", "ISO3", "isoA3", "ISO_A3", "SOV_A3")
"""Columns read as the zone's state, first match wins. Marine Regions' EEZ layer names
the sovereign ``ISO_SOV1`` (the flag-state comparison is with the sovereign: fishing
off the Falklands is in a British zone); a plain ``iso3`` column works too."""


class EezIndex:
    """Point-in-polygon look-up of the EEZ (or any zone) each position lies in.

    Parameters
    ----------
    zones : GeoDataFrame
        Polygons or multipolygons in geographic coordinates (EPSG:4326, or anything
        geopandas can reproject to it), with a state column named in
        :data:`ISO3_COLUMNS`. Polygons crossing 180° must be split there, as Marine
        Regions' are.

    Raises
    ------
    ValueError
        No state column, or no polygon.
    """

    def __init__(self, zones: pd.DataFrame) -> None:
        import geopandas as gpd

        if not isinstance(zones, gpd.GeoDataFrame) or len(zones) == 0:
            raise ValueError("EEZ zones must be a non-empty GeoDataFrame of polygons.")
        column = next((c for c in ISO3_COLUMNS if c in zones.columns), None)
        if column is None:
            raise ValueError(
                "The EEZ file has no state column: expected one of "
                f"{', '.join(ISO3_COLUMNS)}; it has {', '.join(map(str, zones.columns))}."
            )
        if zones.crs is not None and not zones.crs.equals("EPSG:4326"):
            zones = zones.to_crs("EPSG:4326")
        polygonal = zones.geom_type.isin(["Polygon", "MultiPolygon"])
        zones = zones[polygonal & zones.geometry.notna()]
        if len(zones) == 0:
            raise ValueError("The EEZ file holds no polygon.")
        self.column = column
        self._geoms = zones.geometry.to_numpy()
        self._iso3 = zones[column].astype("string").str.upper().to_numpy()
        self._tree = gpd.GeoSeries(self._geoms).sindex

    def iso3(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> pd.Series:
        """The state of the zone each position lies in.

        Parameters
        ----------
        lat, lon : array-like of shape (n,)
            Degrees (WGS 84); NaN gives NA.

        Returns
        -------
        Series of shape (n,), dtype string
            ISO 3166 alpha-3 code; NA outside every zone (the high seas, when the
            zones are EEZs). A point on the boundary of two zones takes the first in
            file order.
        """
        import shapely

        la = np.asarray(lat, dtype="float64")
        lo = np.asarray(lon, dtype="float64")
        out = pd.Series(pd.NA, index=range(len(la)), dtype="string")
        ok = np.flatnonzero(~(np.isnan(la) | np.isnan(lo)))
        if len(ok) == 0:
            return out
        points = shapely.points(lo[ok], la[ok])
        point_i, zone_i = self._tree.query(points, predicate="intersects")
        # Several hits for one point (overlapping or touching zones): keep the first zone.
        order = np.lexsort((zone_i, point_i))
        point_i, zone_i = point_i[order], zone_i[order]
        first = np.r_[True, point_i[1:] != point_i[:-1]]
        out.iloc[ok[point_i[first]]] = self._iso3[zone_i[first]]
        return out


def read_eez(path: str | Path) -> EezIndex:
    """Read EEZ (or other zone) polygons from a vector file.

    Parameters
    ----------
    path : str or Path
        GeoPackage, GeoJSON, shapefile or any format geopandas reads, with a state
        column (:data:`ISO3_COLUMNS`).

    Returns
    -------
    EezIndex

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        The file is not a readable vector file, or lacks polygons or a state column.
    """
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The EEZ file {str(path)!r} does not exist.")
    try:
        zones = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types per driver
        raise ValueError(
            f"The EEZ file {str(path)!r} is not a readable vector file: {exc}"
        ) from exc
    return EezIndex(zones)
