"""``CounterfactualPrior``: label-preserving counterfactuals built from a prior, and
user-supplied counterfactual pairs."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor
from torch_geometric.data import Data

from priorkit.data.batch import PriorBatch, collate
from priorkit.data.recombine import column_std, dense, select_rows, with_node_rows, with_tree_of
from priorkit.data.tensors import keep_nodes
from priorkit.errors import ConfigError
from priorkit.priors.base import MAX_DEPTH, MAX_STRENGTH, PRIORS, ModelDims, Prior
from priorkit.priors.check import Check
from priorkit.priors.enforce import EnforcedConfig

if TYPE_CHECKING:
    from priorkit.outputs import PriorModelOutput

_CONTENT = ("x", "user_code", "node_text_embedding")


class CounterfactualConfig(EnforcedConfig):
    """Args:
    kind: ``modality_swap`` (a sample's text with the tree of a sample of another label,
        keeping the text's label: "the graph does not decide"), ``leaf_perturb`` (nodes
        deeper than ``depth`` shuffled, dropped or noised: "the leaves do not decide"),
        ``new_users`` (the same tree spread by users training never saw: every user id made
        unknown: "who spread it does not decide"; needs user ids in the data), or
        ``pairs`` (counterfactual samples of the data, named by ``counterfactual_of``, kept
        in the batch of their original).
    rate: share of the batch's samples that get a counterfactual (``pairs``: share of the
        data's counterfactuals used).
    consistency_weight: weight of a symmetric KL between the predictions on a sample and
        on its label-preserving counterfactual (0: none).
    depth: ``leaf_perturb`` touches nodes deeper than it.
    perturb: ``leaf_perturb``: ``shuffle`` (content from random deep nodes of the batch),
        ``drop`` (the nodes removed) or ``noise`` (Gaussian noise, ``noise`` feature stds).
    noise: scale of ``noise``.
    min_consistency: compliance: share of predictions that survive a counterfactual
        (``pairs``: that follow the label of the counterfactual).
    enforce: the consistency rule is a constraint of training: its multiplier rises while the
        batch's soft consistency (the probability that a counterfactual and its original get
        the same class) is below ``min_consistency``, and above 1 it weighs the consistency
        loss (a symmetric KL between the predictions on a sample and on its counterfactual) on
        top of ``consistency_weight``.
    """

    name: Literal["counterfactual"] = "counterfactual"

    kind: Literal["modality_swap", "leaf_perturb", "new_users", "pairs"] = "modality_swap"
    rate: float = Field(0.5, ge=0.0, le=1.0)
    consistency_weight: float = Field(0.0, ge=0.0, le=MAX_STRENGTH)
    depth: int = Field(1, ge=0, le=MAX_DEPTH)
    perturb: Literal["shuffle", "drop", "noise"] = "shuffle"
    noise: float = Field(1.0, gt=0.0, le=MAX_STRENGTH)
    min_consistency: float = Field(0.8, ge=0.0, le=1.0)


@PRIORS.register("counterfactual")
class CounterfactualPrior(Prior):
    """Adds counterfactuals to training batches (the originals stay), seeded by the
    training generator; the batch's ``origin`` links each counterfactual to its original.

    Shapes:
        augment: a batch of b samples -> b + k samples (``pairs``: at most b).
    """

    name = "counterfactual"
    Config = CounterfactualConfig
    config: CounterfactualConfig

    def bind(self, dims: ModelDims) -> None:
        if self.config.kind == "pairs" and dims.unpaired:
            raise ConfigError(
                f"counterfactual: kind pairs: {len(dims.unpaired)} training sample(s) name in "
                f"`counterfactual_of` a sample that is not in the training data (first: sample "
                f"{dims.unpaired[0]!r}); they would train as ordinary samples, unpaired. Put each original "
                "in the same split as its counterfactuals, or correct the id."
            )
        if self.config.kind == "pairs" and dims.pairs == 0:
            raise ConfigError(
                "counterfactual: kind pairs: expected training samples that are counterfactuals of other "
                "training samples (their `counterfactual_of` naming one; got none), so the prior would do "
                "nothing. Add the pairs to the training data, or choose another kind."
            )

    def augment(self, batch: PriorBatch, generator: torch.Generator) -> PriorBatch:
        if self.config.kind == "pairs":
            return self._use_pairs(batch, generator)
        return self.counterfactuals(batch, generator, self.config.rate)

    def counterfactuals(self, batch: PriorBatch, generator: torch.Generator, rate: float) -> PriorBatch:
        """The batch plus a counterfactual for a ``rate`` share of its samples."""
        graphs = batch.graph.to_data_list()
        chosen = torch.nonzero(torch.rand(len(graphs), generator=generator) < rate).flatten().tolist()
        if self.config.kind == "modality_swap":
            made = self._swap(graphs, chosen, batch.y, generator)
        elif self.config.kind == "new_users":
            made = [_mark(_unknown_users(graphs[i]), graphs[i]) for i in chosen if _has_users(graphs[i])]
        else:
            made = self._perturb(graphs, chosen, batch, generator)
        return collate(graphs + made) if made else batch

    def _swap(
        self, graphs: list[Data], chosen: list[int], y: Tensor | None, g: torch.Generator
    ) -> list[Data]:
        if y is None:
            return []
        receivers, donors = [], []
        for i in chosen:
            others = torch.nonzero(y != y[i]).flatten()
            if others.numel():
                receivers.append(graphs[i])
                donors.append(graphs[int(others[torch.randint(others.numel(), (1,), generator=g)])])
        return [_mark(cf, r) for cf, r in zip(with_tree_of(receivers, donors), receivers, strict=True)]

    def _perturb(
        self, graphs: list[Data], chosen: list[int], batch: PriorBatch, g: torch.Generator
    ) -> list[Data]:
        c = self.config
        whole = batch.graph
        deep_rows = torch.nonzero(whole.depth > c.depth).flatten()
        # the noise's scale per feature, from the whole batch (a bag of words stays sparse)
        std = column_std(whole.x) if c.perturb == "noise" and whole.x.size(0) > 1 else None
        out = []
        for i in chosen:
            graph = graphs[i]
            deep = graph.depth > c.depth
            if not bool(deep.any()):
                continue
            if c.perturb == "drop":
                cf = keep_nodes(graph, ~deep)
            elif c.perturb == "shuffle":
                rows = deep_rows[torch.randint(deep_rows.numel(), (int(deep.sum()),), generator=g)]
                content = {name: select_rows(whole[name], rows) for name in _CONTENT if name in whole}
                cf = with_node_rows(graph, deep, content, _CONTENT)
            else:
                cf = _add_noise(graph, deep, c.noise * (std if std is not None else 1.0), g)
            out.append(_mark(cf, graph))
        return out

    def _use_pairs(self, batch: PriorBatch, generator: torch.Generator) -> PriorBatch:
        origin = batch.origin
        if origin is None or not bool((origin >= 0).any()) or self.config.rate >= 1.0:
            return batch
        drop = (origin >= 0) & (torch.rand(origin.numel(), generator=generator) >= self.config.rate)
        if not bool(drop.any()):
            return batch
        graphs = batch.graph.to_data_list()
        return collate([graph for graph, d in zip(graphs, drop.tolist(), strict=True) if not d])

    def consistency_weight(self) -> float:
        """``consistency_weight``, plus the rule's multiplier beyond 1 while it is enforced."""
        extra = float(self.multiplier("consistency")) - 1.0 if self.enforcing else 0.0
        return self.config.consistency_weight + max(extra, 0.0)

    def loss(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        weight = self.consistency_weight()
        if weight <= 0 or batch.origin is None or batch.y is None:
            return {}
        cf = torch.nonzero(batch.origin >= 0).flatten()
        cf = cf[batch.y[cf] == batch.y[batch.origin[cf]]]
        if cf.numel() == 0:
            return {}
        log_p = F.log_softmax(outputs.logits, -1)
        a, b = log_p[batch.origin[cf]], log_p[cf]
        symmetric = 0.5 * (
            F.kl_div(b, a, log_target=True, reduction="batchmean")
            + F.kl_div(a, b, log_target=True, reduction="batchmean")
        )
        return {"consistency": weight * symmetric}

    def estimates(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, Tensor]:
        # a soft consistency (the probability that a counterfactual and its original get the
        # same class, or different ones where their labels differ), detached: stricter than the
        # hard one the rule checks, it keeps the pressure on where training pairs are fitted
        # better than new ones; it steers the multiplier, which weighs the consistency loss (as
        # a Lagrangian term it would ask an undecided model to be confident, against the task)
        if batch.origin is None or batch.y is None or not bool((batch.origin >= 0).any()):
            return {}
        cf = torch.nonzero(batch.origin >= 0).flatten()
        original = batch.origin[cf]
        p = torch.softmax(outputs.logits.detach(), -1)
        same = (p[cf] * p[original]).sum(-1)
        follows = torch.where(batch.y[cf] == batch.y[original], same, 1.0 - same)
        return {"consistency": follows.mean()}

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        predicted = outputs.logits.argmax(-1)
        if self.config.kind == "pairs":
            if batch.origin is None or batch.y is None or not bool((batch.origin >= 0).any()):
                return {}
            cf = torch.nonzero(batch.origin >= 0).flatten()
            original = batch.origin[cf]
            follows = (predicted[cf] != predicted[original]) == (batch.y[cf] != batch.y[original])
            return {"consistency": float(follows.float().mean())}
        if outputs.rerun is None:
            return {}
        generator = torch.Generator().manual_seed(0)
        made = self.counterfactuals(batch, generator, rate=1.0)
        if made.origin is None or not bool((made.origin >= 0).any()):
            return {}
        again = outputs.rerun(made).logits.argmax(-1)
        cf = torch.nonzero(made.origin >= 0).flatten()
        return {"consistency": float((again[cf] == again[made.origin[cf]]).float().mean())}

    def checks(self) -> list[Check]:
        return [Check("consistency", self.config.min_consistency, "at_least")]


def _mark(counterfactual: Data, original: Data) -> Data:
    counterfactual.sample_id = f"{original.sample_id}~cf"
    counterfactual.counterfactual_of = original.sample_id
    return counterfactual


def _add_noise(graph: Data, mask: Tensor, scale: Tensor | float, g: torch.Generator) -> Data:
    x = dense(graph.x)
    noise = torch.randn(int(mask.sum()), x.size(1), generator=g) * scale
    return with_node_rows(graph, mask, {"x": x[mask] + noise}, ("x",))


def _has_users(graph: Data) -> bool:
    return "user_code" in graph and bool((graph.user_code > 0).any())


def _unknown_users(graph: Data) -> Data:
    """A copy of ``graph`` whose every user is unknown (code 0: no user embedding)."""
    made = copy.copy(graph)  # the other fields shared, as recombine's copies do: only the users change
    made.user_code = torch.zeros_like(graph.user_code)
    return made
