"""Who is calling the API: one header parser, Basic, bearer, PAT -> Principal."""
