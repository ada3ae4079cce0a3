import pytest

from civicauth.issues.geo import METERS_PER_DEGREE, BoundingBox, Circle, Point, lng_scale


def test_circle_bounds_are_wider_in_longitude_away_from_the_equator():
    box = Circle(Point(60.0, 10.0), 1000).bounds()
    dlat = box.max_lat - box.min_lat
    dlng = box.max_lng - box.min_lng
    assert dlat == pytest.approx(2000 / METERS_PER_DEGREE)
    assert dlng == pytest.approx(dlat * 2, rel=1e-6)  # cos 60° = 0.5


def test_circle_bounds_stay_on_the_globe():
    box = Circle(Point(89.99, 179.99), 50_000).bounds()
    assert box.max_lat == 90.0
    assert box.max_lng == 180.0
    assert box.min_lng >= -180.0


def test_bounding_box_center():
    assert BoundingBox(40, -74, 42, -72).center() == Point(41, -73)


def test_lng_scale():
    assert lng_scale(Point(0, 0)) == pytest.approx(1.0)
    assert lng_scale(Point(90, 0)) == pytest.approx(0.0, abs=1e-12)
