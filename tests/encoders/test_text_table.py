from pathlib import Path

import torch

from priorkit.data.labels import LabelSpace
from priorkit.data.records import sample_from_dict
from priorkit.data.tensors import sample_to_data
from priorkit.encoders.text import TextEncoder, TextEncoderConfig
from priorkit.encoders.text_table import attach_text_embeddings
from tests.conftest import record


def graphs() -> list:  # type: ignore[type-arg]
    labels = LabelSpace(("negative", "positive"))
    second = record("r2", label="positive", text="lovely soup")
    second["nodes"][1]["text"] = "the soup was good"
    return [
        sample_to_data(sample_from_dict(record()), labels),
        sample_to_data(sample_from_dict(second), labels),
    ]


def test_embeddings_are_attached_and_a_second_run_never_calls_the_encoder(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    first = TextEncoder(TextEncoderConfig(model=str(tiny_model_dir)))
    data = graphs()
    cache = attach_text_embeddings(data, first, tmp_path)
    assert (
        first.forward_calls == 1 and cache is not None and cache.stats.misses == 4
    )  # 2 texts + 2 node texts
    assert data[0].text_embedding.shape == (1, 32) and data[0].node_text_embedding.shape == (3, 32)
    assert torch.equal(data[0].node_text_embedding[0], torch.zeros(32))  # a node without text
    expected = first.encode(["agreed"])[0]
    assert torch.allclose(data[0].node_text_embedding[2], expected, atol=1e-5)

    second = TextEncoder(TextEncoderConfig(model=str(tiny_model_dir)))
    again = graphs()
    attach_text_embeddings(again, second, tmp_path)
    assert second.forward_calls == 0
    assert torch.equal(again[1].text_embedding, data[1].text_embedding)
