"""``EmbeddingCache``: every distinct text is encoded once, across runs and parallel workers.

Layout under ``root/embeddings/<namespace digest>/``: ``chunk-*.safetensors`` files, each
holding ``keys`` (k, 32) uint8 SHA-256 digests of texts and ``values`` (k, d) float32
embeddings, written atomically (temporary file, then rename), and a ``lock`` file. A
worker that misses texts takes the lock, re-reads the chunks that other workers wrote
meanwhile, encodes only what is still missing and writes one new chunk. No pickle is
involved; a chunk that cannot be read is set aside as ``*.corrupt`` and its texts are
encoded again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from filelock import FileLock
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from priorkit.atomic import atomic_path

log = logging.getLogger(__name__)


def text_key(text: str) -> bytes:
    """SHA-256 digest of a text (32 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass
class CacheStats:
    """Counts since the cache object was created: requested texts served from the cache,
    distinct texts encoded, and calls made to the encode function."""

    hits: int = 0
    misses: int = 0
    encode_calls: int = 0


class EmbeddingCache:
    """An on-disk, process-safe cache of text embeddings for one encoder configuration.

    Args:
        root: the cache folder (shared by every run and worker).
        namespace: identifies the encoder and everything that changes its output, e.g.
            ``"sentence-transformers/all-MiniLM-L6-v2|mean|max_length=128"``.
        width: the embedding width d when known (the encoder's); a chunk of another width is
            set aside as unreadable. None: the width of the first chunk read or written.

    Shapes:
        :meth:`get_or_encode` returns (len(texts), d) float32.
    """

    def __init__(self, root: str | os.PathLike[str], namespace: str, width: int | None = None) -> None:
        digest = hashlib.sha256(namespace.encode()).hexdigest()[:24]
        self.folder = Path(root) / "embeddings" / digest
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "namespace.txt").write_text(namespace + "\n", encoding="utf-8")
        self.namespace = namespace
        self.stats = CacheStats()
        self._rows: dict[bytes, Tensor] = {}
        self.width = width
        self._seen: set[str] = set()

    def __len__(self) -> int:
        self._refresh()
        return len(self._rows)

    def get_or_encode(self, texts: Sequence[str], encode: Callable[[list[str]], Tensor]) -> Tensor:
        """Embeddings of ``texts``, calling ``encode`` once at most, on the texts no worker
        has encoded yet (each distinct text once)."""
        keys = [text_key(t) for t in texts]
        self._refresh()
        missing: dict[bytes, str] = {}
        if any(k not in self._rows for k in keys):
            with self._locked():
                self._refresh()
                missing = self._missing(texts, keys)
                if missing:
                    self._store(missing, encode)
        self.stats.misses += len(missing)
        self.stats.hits += sum(1 for k in keys if k not in missing)
        return torch.stack([self._rows[k] for k in keys]) if keys else torch.zeros(0, 0)

    def _missing(self, texts: Sequence[str], keys: list[bytes]) -> dict[bytes, str]:
        missing: dict[bytes, str] = {}
        for text, key in zip(texts, keys, strict=True):
            if key not in self._rows:
                missing.setdefault(key, text)
        return missing

    def _store(self, missing: dict[bytes, str], encode: Callable[[list[str]], Tensor]) -> None:
        values = encode(list(missing.values())).detach().to("cpu", torch.float32).contiguous()
        self.stats.encode_calls += 1
        if values.shape[0] != len(missing):
            raise ValueError(f"encode: expected {len(missing)} embeddings (got {values.shape[0]}).")
        if self.width is not None and (values.dim() != 2 or values.shape[1] != self.width):
            raise ValueError(
                f"encode: expected embeddings of width {self.width} (got {tuple(values.shape)})."
            )
        self.width = int(values.shape[1])
        keys = torch.tensor([list(k) for k in missing], dtype=torch.uint8)
        final = self.folder / f"chunk-{uuid.uuid4().hex}.safetensors"
        with atomic_path(final) as partial:
            save_file({"keys": keys, "values": values}, str(partial))
        self._seen.add(final.name)
        self._add(keys, values)

    def _add(self, keys: Tensor, values: Tensor) -> None:
        for row, key in enumerate(keys.numpy()):
            self._rows[key.tobytes()] = values[row]

    def _refresh(self) -> None:
        """Read the chunks written since the last look (by this or any other worker)."""
        for path in sorted(self.folder.glob("chunk-*.safetensors")):
            if path.name in self._seen:
                continue
            self._seen.add(path.name)
            try:
                chunk = load_file(str(path))
                keys, values = chunk["keys"], chunk["values"]
                if keys.dim() != 2 or keys.shape[1] != 32 or values.shape[0] != keys.shape[0]:
                    raise ValueError("keys and values do not match")
                if values.dim() != 2 or (self.width is not None and values.shape[1] != self.width):
                    raise ValueError(f"embeddings of shape {tuple(values.shape)}, not (k, {self.width})")
                self.width = int(values.shape[1])
            except (SafetensorError, KeyError, ValueError, OSError) as error:
                log.warning(
                    "embedding cache: %s is unreadable (%s); set aside, its texts will be encoded again",
                    path,
                    error,
                )
                os.replace(path, path.with_suffix(".corrupt"))
                continue
            self._add(keys, values)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with FileLock(self.folder / "lock"):
            yield
