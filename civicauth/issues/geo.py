"""Points, bounding boxes and distances on WGS84 coordinates.

Distances use the equirectangular approximation: over a city's extent it is
within a fraction of a percent of the great-circle distance, it orders
results the same way, and it needs no trigonometry in SQL (SQLite has none
unless compiled with its math functions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

METERS_PER_DEGREE = 111_320.0


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class BoundingBox:
    min_lat: float
    min_lng: float
    max_lat: float
    max_lng: float

    def center(self) -> Point:
        return Point((self.min_lat + self.max_lat) / 2, (self.min_lng + self.max_lng) / 2)


@dataclass(frozen=True, slots=True)
class Circle:
    center: Point
    radius_m: float

    def bounds(self) -> BoundingBox:
        """The box around the circle, so the (lat, lng) index narrows the search."""
        dlat = self.radius_m / METERS_PER_DEGREE
        dlng = dlat / max(lng_scale(self.center), 1e-6)
        return BoundingBox(
            max(self.center.lat - dlat, -90.0),
            max(self.center.lng - dlng, -180.0),
            min(self.center.lat + dlat, 90.0),
            min(self.center.lng + dlng, 180.0),
        )

    def squared_degrees(self) -> float:
        """The radius in the unit of ``squared_distance``."""
        return (self.radius_m / METERS_PER_DEGREE) ** 2


def lng_scale(point: Point) -> float:
    """How much shorter a degree of longitude is than one of latitude here."""
    return math.cos(math.radians(point.lat))
