"""``RootEnhancePrior``: "every node is read in the light of the root" (as in BiGCN)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from torch import Tensor, nn

from priorkit.priors.base import PRIORS, ModelDims, Prior, PriorConfig
from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput


class RootEnhanceConfig(PriorConfig):
    """Args: weight: unused (no loss); kept for a uniform ``priors:`` syntax."""

    name: Literal["root_enhance"] = "root_enhance"


@PRIORS.register("root_enhance")
class RootEnhancePrior(Prior):
    """After each message-passing layer, every node gets ``W_l h_root`` added to its state:
    the same as concatenating the root's state to every node and projecting, as BiGCN does.
    ``W_l`` starts at zero, so the prior starts as a no-op and learns how much root to mix in.

    Shapes:
        bias("nodes") -> (n, d).
    """

    name = "root_enhance"
    Config = RootEnhanceConfig

    def bind(self, dims: ModelDims) -> None:
        self.projection = nn.Linear(dims.graph, dims.graph, bias=False)
        nn.init.zeros_(self.projection.weight)

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        if site != "nodes" or ctx.value is None:
            return None
        root_state = ctx.value[ctx.root_index]
        return self.projection(root_state)[ctx.batch]

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        """Norm of the root term relative to the node states it is added to (last layer's input)."""
        nodes = outputs.nodes
        term = self.projection(nodes[batch.graph.root_index])[batch.graph.batch]
        return {
            "root_term_ratio": float(term.norm(dim=-1).mean() / nodes.norm(dim=-1).mean().clamp_min(1e-12))
        }
