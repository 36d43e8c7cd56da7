"""The search index: builds made, saved and loaded under index/, the embedding cache that makes rebuilds cheap, and the reloader that swaps a new build into service."""
