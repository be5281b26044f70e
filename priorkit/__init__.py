"""priorkit: inject prior knowledge into text + user-tree models, and measure whether the
trained model follows it.

Shape vocabulary, used in every ``Shapes:`` section of the package:

- ``b``: samples in a batch; ``n``: nodes (of one tree, or of all trees of a batch);
  ``e``: edges; ``h``: attention heads; ``d``: hidden features; ``f``: input node features.
- Suffixes: ``*_index`` int64 indices into nodes (a root is its own parent in
  ``parent_index``), ``*_mask`` bool (True = keep), ``*_bias`` additive logits,
  ``*_weight`` / ``*_gate`` values in [0, 1].
"""

from typing import TYPE_CHECKING

from priorkit._lazy import lazy_exports
from priorkit.errors import ConfigError, PriorkitError, RegistryError

if TYPE_CHECKING:
    from priorkit.analysis.leakage import leakage_report
    from priorkit.data import (
        DataValidationError,
        LabelSpace,
        LoadReport,
        PriorBatch,
        Problem,
        Split,
        SplitConfig,
        SynthConfig,
        TreeDataset,
        TreeSample,
        collate,
        from_networkx,
        generate,
        leave_one_group_out,
        load_cached,
        load_format,
        make_loader,
        make_splits,
        read_jsonl,
        sample_from_dict,
        sample_to_data,
        story_groups,
        story_kfold,
        stratified_kfold,
        temporal_splits,
        to_networkx,
        validate_jsonl,
        write_jsonl,
        write_synthetic,
    )

__version__ = "0.1.0"

_EXPORTS = {
    "DataValidationError": "priorkit.data",
    "LabelSpace": "priorkit.data",
    "LoadReport": "priorkit.data",
    "PriorBatch": "priorkit.data",
    "Problem": "priorkit.data",
    "Split": "priorkit.data",
    "SplitConfig": "priorkit.data",
    "SynthConfig": "priorkit.data",
    "TreeDataset": "priorkit.data",
    "TreeSample": "priorkit.data",
    "collate": "priorkit.data",
    "from_networkx": "priorkit.data",
    "generate": "priorkit.data",
    "leave_one_group_out": "priorkit.data",
    "load_cached": "priorkit.data",
    "load_format": "priorkit.data",
    "leakage_report": "priorkit.analysis.leakage",
    "make_loader": "priorkit.data",
    "make_splits": "priorkit.data",
    "read_jsonl": "priorkit.data",
    "sample_from_dict": "priorkit.data",
    "sample_to_data": "priorkit.data",
    "story_groups": "priorkit.data",
    "story_kfold": "priorkit.data",
    "stratified_kfold": "priorkit.data",
    "temporal_splits": "priorkit.data",
    "to_networkx": "priorkit.data",
    "validate_jsonl": "priorkit.data",
    "write_jsonl": "priorkit.data",
    "write_synthetic": "priorkit.data",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "ConfigError",
    "DataValidationError",
    "LabelSpace",
    "LoadReport",
    "PriorBatch",
    "PriorkitError",
    "Problem",
    "RegistryError",
    "Split",
    "SplitConfig",
    "SynthConfig",
    "TreeDataset",
    "TreeSample",
    "__version__",
    "collate",
    "from_networkx",
    "generate",
    "leakage_report",
    "leave_one_group_out",
    "load_cached",
    "load_format",
    "make_loader",
    "make_splits",
    "read_jsonl",
    "sample_from_dict",
    "sample_to_data",
    "story_groups",
    "story_kfold",
    "stratified_kfold",
    "temporal_splits",
    "to_networkx",
    "validate_jsonl",
    "write_jsonl",
    "write_synthetic",
]
