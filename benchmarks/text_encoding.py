"""Text encoding: priorkit's TextEncoder against sentence-transformers, and the embedding cache.

1. First-time encoding throughput of ``TextEncoder.encode`` versus
   ``SentenceTransformer.encode`` on the same model (the offline all-MiniLM-L6-v2), the same
   texts (PHEME tweets) and the same batch size; prints the ratio (target >= 1.0).
2. A first and a second preparation of the same data through the on-disk cache; prints the
   text-encoder forward calls of each (target: 0 the second time).

    python benchmarks/text_encoding.py [--data ../shared/datasets/pheme6] [--limit 4000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from priorkit.data.labels import LabelSpace
from priorkit.data.loaders.pheme import load_pheme
from priorkit.data.tensors import sample_to_data
from priorkit.encoders.text import DEFAULT_MODEL, TextEncoder, TextEncoderConfig, resolve_model
from priorkit.encoders.text_table import attach_text_embeddings

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "pheme6"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=4000, help="distinct texts to encode")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    dataset = load_pheme(args.data)
    texts = sorted({t for s in dataset for t in (s.node_text or []) if t})[: args.limit]

    from sentence_transformers import SentenceTransformer

    peer = SentenceTransformer(resolve_model(DEFAULT_MODEL), device="cpu")
    ours = TextEncoder(TextEncoderConfig(batch_size=args.batch_size))
    peer.encode(texts[:64], batch_size=args.batch_size), ours.encode(texts[:64])  # warm up
    t_peer = t_ours = float("inf")
    for _ in range(args.repeat):  # alternate, so that a slow spell of the machine hits both alike
        start = time.perf_counter()
        peer.encode(texts, batch_size=args.batch_size)
        t_peer = min(t_peer, time.perf_counter() - start)
        start = time.perf_counter()
        ours.encode(texts)
        t_ours = min(t_ours, time.perf_counter() - start)
    print(f"{len(texts)} PHEME texts, {DEFAULT_MODEL}, batch {args.batch_size}, best of {args.repeat}")
    print(f"peer SentenceTransformer.encode: {len(texts) / t_peer:8.1f} texts/s")
    print(f"priorkit TextEncoder.encode:     {len(texts) / t_ours:8.1f} texts/s")
    print(f"throughput ratio ours / peer:    {t_peer / t_ours:.2f}  (target >= 1.0)")

    labels = LabelSpace.from_labels(dataset.labels)
    graphs = [sample_to_data(s, labels) for s in dataset][:300]
    with tempfile.TemporaryDirectory() as cache:
        for attempt in ("first", "second"):
            encoder = TextEncoder(TextEncoderConfig(batch_size=args.batch_size))
            attach_text_embeddings(graphs, encoder, cache)
            print(
                f"{attempt} preparation of 300 threads (texts and node texts): "
                f"{encoder.forward_calls} text-encoder forward calls"
            )


if __name__ == "__main__":
    main()
