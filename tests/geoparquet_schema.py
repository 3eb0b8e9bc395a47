"""The GeoParquet 1.1 ``geo`` metadata, checked against the required parts of its JSON
schema (https://geoparquet.org/releases/v1.1.0/schema.json), written out here as no
package ships the official file; validated with ``jsonschema_rs``.

The PROJJSON of ``crs`` is checked for what the run writes (an object naming its
authority and code) rather than against the whole PROJJSON schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

COVERING_PATH = {
    "type": "array",
    "minItems": 2,
    "maxItems": 2,
    "prefixItems": [{"type": "string", "minLength": 1}],
    "items": {"type": "string"},
}
GEOPARQUET_1_1_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "primary_column", "columns"],
    "properties": {
        "version": {"type": "string", "const": "1.1.0"},
        "primary_column": {"type": "string", "minLength": 1},
        "columns": {
            "type": "object",
            "minProperties": 1,
            "patternProperties": {
                ".+": {
                    "type": "object",
                    "required": ["encoding", "geometry_types"],
                    "properties": {
                        "encoding": {
                            "type": "string",
                            "pattern": "^(WKB|point|linestring|polygon|multipoint|"
                            "multilinestring|multipolygon)$",
                        },
                        "geometry_types": {
                            "type": "array",
                            "uniqueItems": True,
                            "items": {
                                "type": "string",
                                "pattern": "^(GeometryCollection|(Multi)?(Point|LineString|"
                                "Polygon))( Z)?$",
                            },
                        },
                        "crs": {
                            "oneOf": [
                                {
                                    "type": "object",
                                    "required": ["type", "id"],
                                    "properties": {
                                        "id": {
                                            "type": "object",
                                            "required": ["authority", "code"],
                                        }
                                    },
                                },
                                {"type": "null"},
                            ]
                        },
                        "edges": {"type": "string", "enum": ["planar", "spherical"]},
                        "bbox": {
                            "type": "array",
                            "items": {"type": "number"},
                            "oneOf": [
                                {"minItems": 4, "maxItems": 4},
                                {"minItems": 6, "maxItems": 6},
                            ],
                        },
                        "covering": {
                            "type": "object",
                            "required": ["bbox"],
                            "properties": {
                                "bbox": {
                                    "type": "object",
                                    "required": ["xmin", "xmax", "ymin", "ymax"],
                                    "properties": {
                                        k: COVERING_PATH for k in ("xmin", "xmax", "ymin", "ymax")
                                    },
                                }
                            },
                        },
                    },
                }
            },
        },
    },
}


def geo_metadata(path: Path) -> dict[str, Any]:
    """The ``geo`` metadata of a Parquet file, as its Arrow schema carries it."""
    meta = pq.read_schema(path).metadata or {}
    assert b"geo" in meta, f"{path} has no 'geo' metadata"
    result: dict[str, Any] = json.loads(meta[b"geo"])
    return result


def schema_errors(geo: dict[str, Any]) -> list[str]:
    """What in ``geo`` breaks :data:`GEOPARQUET_1_1_SCHEMA` (empty: valid)."""
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(GEOPARQUET_1_1_SCHEMA)
    return [e.message for e in validator.iter_errors(geo)]
