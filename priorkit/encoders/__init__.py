"""Text and tree encoders, and the on-disk embedding cache of frozen text encoders."""

from priorkit.encoders.embedding_cache import CacheStats, EmbeddingCache
from priorkit.encoders.text import DEFAULT_MODEL, ModelNotFoundError, TextEncoder, TextEncoderConfig
from priorkit.encoders.text_table import attach_text_embeddings
from priorkit.encoders.tree import TreeEncoder, TreeEncoderConfig, TreeEncoderOutput

__all__ = [
    "DEFAULT_MODEL",
    "CacheStats",
    "EmbeddingCache",
    "ModelNotFoundError",
    "TextEncoder",
    "TextEncoderConfig",
    "TreeEncoder",
    "TreeEncoderConfig",
    "TreeEncoderOutput",
    "attach_text_embeddings",
]
