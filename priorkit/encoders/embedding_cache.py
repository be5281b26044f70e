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
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor

from priorkit.atomic import atomic_path, atomic_write

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
        with atomic_write(self.folder / "namespace.txt") as handle:
            handle.write(namespace + "\n")
        self.namespace = namespace
        self.stats = CacheStats()
        self.width = width
        # where each cached text's embedding is: (chunk file, row); values are read on demand,
        # so memory holds 33 bytes of key per cached text, not the embeddings
        self._index: dict[bytes, tuple[Path, int]] = {}
        self._seen: set[str] = set()

    def __len__(self) -> int:
        self._refresh()
        return len(self._index)

    def get_or_encode(self, texts: Sequence[str], encode: Callable[[list[str]], Tensor]) -> Tensor:
        """Embeddings of ``texts``, calling ``encode`` once at most, on the texts no worker
        has encoded yet (each distinct text once)."""
        keys = [text_key(t) for t in texts]
        fresh = self._ensure(texts, keys, encode)
        self.stats.misses += len(fresh)
        self.stats.hits += sum(1 for k in keys if k not in fresh)
        if not keys:
            return torch.zeros(0, 0)
        return self._gather(keys, fresh)

    def ensure(self, texts: Sequence[str], encode: Callable[[list[str]], Tensor]) -> int:
        """Encode and store the texts that no worker has encoded yet, reading nothing back
        (to fill the cache ahead of reading it batch by batch); returns how many were encoded."""
        fresh = self._ensure(texts, [text_key(t) for t in texts], encode)
        self.stats.misses += len(fresh)
        return len(fresh)

    def _ensure(
        self, texts: Sequence[str], keys: list[bytes], encode: Callable[[list[str]], Tensor]
    ) -> dict[bytes, Tensor]:
        self._refresh()
        if all(k in self._index for k in keys):
            return {}
        with self._locked():
            self._refresh()
            missing = self._missing(texts, keys)
            return self._store(missing, encode) if missing else {}

    def _missing(self, texts: Sequence[str], keys: list[bytes]) -> dict[bytes, str]:
        missing: dict[bytes, str] = {}
        for text, key in zip(texts, keys, strict=True):
            if key not in self._index:
                missing.setdefault(key, text)
        return missing

    def _gather(self, keys: list[bytes], fresh: dict[bytes, Tensor]) -> Tensor:
        """The rows of ``keys``: just encoded, or read from their chunks (only those rows)."""
        out = torch.empty(len(keys), self.width or 0)
        wanted: dict[Path, list[tuple[int, int]]] = {}
        for i, key in enumerate(keys):
            if key in fresh:
                out[i] = fresh[key]
            else:
                chunk, row = self._index[key]
                wanted.setdefault(chunk, []).append((i, row))
        for chunk, pairs in wanted.items():
            with safe_open(str(chunk), framework="pt") as handle:
                values = handle.get_slice("values")
                if 4 * len(pairs) >= values.get_shape()[0]:  # most of the chunk: one read
                    whole = handle.get_tensor("values")
                    out[[i for i, _ in pairs]] = whole[[row for _, row in pairs]]
                    continue
                for i, row in pairs:
                    out[i] = values[row : row + 1][0]
        return out

    def _store(self, missing: dict[bytes, str], encode: Callable[[list[str]], Tensor]) -> dict[bytes, Tensor]:
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
        self._add(final, keys)
        return dict(zip(missing, values, strict=True))

    def _add(self, chunk: Path, keys: Tensor) -> None:
        for row, key in enumerate(keys.numpy()):
            self._index[key.tobytes()] = (chunk, row)

    def _refresh(self) -> None:
        """Index the chunks written since the last look (by this or any other worker): their
        keys, checked against the shape of their values."""
        for path in sorted(self.folder.glob("chunk-*.safetensors")):
            if path.name in self._seen:
                continue
            self._seen.add(path.name)
            try:
                with safe_open(str(path), framework="pt") as handle:
                    keys = handle.get_tensor("keys")
                    shape = handle.get_slice("values").get_shape()
                if keys.dim() != 2 or keys.shape[1] != 32 or len(shape) != 2 or shape[0] != keys.shape[0]:
                    raise ValueError("keys and values do not match")
                if self.width is not None and shape[1] != self.width:
                    raise ValueError(f"embeddings of shape {tuple(shape)}, not (k, {self.width})")
                self.width = int(shape[1])
            except (SafetensorError, KeyError, ValueError, OSError) as error:
                log.warning(
                    "embedding cache: %s is unreadable (%s); set aside, its texts will be encoded again",
                    path,
                    error,
                )
                os.replace(path, path.with_suffix(".corrupt"))
                continue
            self._add(path, keys)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with FileLock(self.folder / "lock"):
            yield
