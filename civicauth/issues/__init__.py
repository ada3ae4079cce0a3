"""The civic resources: issues, comments, votes, follows."""
