"""Issue lists' statements are built once per shape: two lists that differ
only in their values share one statement; the values are its parameters."""

from datetime import UTC, datetime

from civicauth.issues import listing
from civicauth.issues.geo import BoundingBox, Circle, Point
from civicauth.issues.listing import IssueQuery

BOX = BoundingBox(41.30, -72.95, 41.31, -72.93)
OTHER_BOX = BoundingBox(-33.9, 151.1, -33.8, 151.3)
NOW = datetime(2024, 5, 1, tzinfo=UTC)


def built(q: IssueQuery, dialect: str = "sqlite") -> listing.Statements:
    return listing.statements(listing.shape(dialect, q))


def test_lists_that_differ_only_in_values_share_their_statements():
    pairs = [
        (IssueQuery(area=BOX), IssueQuery(area=OTHER_BOX, statuses=("open", "closed"))),
        (
            IssueQuery(near=Circle(Point(41.3, -72.9), 500)),
            IssueQuery(near=Circle(Point(-33.8, 151.2), 2000)),
        ),
        (IssueQuery(terms=("pothole",)), IssueQuery(terms=("graffiti",))),
        (IssueQuery(created_after=NOW), IssueQuery(created_after=datetime(2020, 1, 1, tzinfo=UTC))),
        (IssueQuery(reporter_id=1), IssueQuery(reporter_id=2)),
    ]
    for first, second in pairs:
        assert built(first) is built(second)


def test_lists_of_another_shape_have_statements_of_their_own():
    shapes = [
        IssueQuery(),
        IssueQuery(area=BOX),
        IssueQuery(area=BoundingBox(0.0, 0.0, 1.0, 0.1)),  # too tall to list its bands
        IssueQuery(near=Circle(Point(41.3, -72.9), 500)),
        IssueQuery(sort="rating"),
        IssueQuery(descending=False),
        IssueQuery(terms=("pothole",)),
        IssueQuery(terms=("pothole", "ab")),  # one term too short for the trigram index
        IssueQuery(created_before=NOW),
        IssueQuery(reporter_id=1),
    ]
    assert len({id(built(q)) for q in shapes}) == len(shapes)
    assert built(IssueQuery(), "sqlite") is not built(IssueQuery(), "postgresql")


def test_the_values_are_the_parameters_of_the_shape():
    q = IssueQuery(area=BOX, statuses=("open",), terms=("pot", "ab"), created_after=NOW)
    values = listing.parameters("sqlite", q)
    assert values["statuses"] == ["open"]
    assert values["bands"] == list(range(41300, 41311))
    assert (values["min_lng"], values["max_lng"]) == (-72.95, -72.93)
    assert values["created_after"] == NOW
    assert values["phrases"] == '"pot"'
    assert values["term_0"] == "%ab%"
    compiled = built(q).page.compile()
    assert set(values) | {"offset", "limit"} == set(compiled.params)
