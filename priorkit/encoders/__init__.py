"""Text and tree encoders, and the on-disk embedding cache of frozen text encoders."""

from priorkit.encoders.embedding_cache import CacheStats, EmbeddingCache

__all__ = ["CacheStats", "EmbeddingCache"]
