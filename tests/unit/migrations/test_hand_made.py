from civicauth.migrations.hand_made import is_search_index


def test_search_index_objects_are_recognised():
    assert is_search_index("issues_search")
    assert is_search_index("issues_search_data")
    assert is_search_index("ix_issues_summary_trgm")
    assert not is_search_index("issues")
    assert not is_search_index(None)
