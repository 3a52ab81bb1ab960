"""The procedure catalogue and its retrieval: the knowledge every answer comes from."""
