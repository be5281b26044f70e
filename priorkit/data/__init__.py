"""The data layer: samples, the JSONL format and its validation, loaders, tensors, batches, splits."""

from typing import TYPE_CHECKING

from priorkit._lazy import lazy_exports

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch, collate, make_loader
    from priorkit.data.cache import load_cached
    from priorkit.data.dataset import DroppedSample, LoadReport, TreeDataset
    from priorkit.data.formats import FORMATS, load_format
    from priorkit.data.graft import graft, graft_dataset
    from priorkit.data.jsonl import read_jsonl, validate_jsonl, write_jsonl
    from priorkit.data.labels import LabelSpace, UnknownLabelError
    from priorkit.data.loaders import load_pheme, load_rvnn, load_twitter, load_twitter_rvnn
    from priorkit.data.networkx_io import from_networkx, to_networkx
    from priorkit.data.problems import DataValidationError, Problem
    from priorkit.data.records import sample_from_dict, sample_to_record
    from priorkit.data.sample import TreeSample
    from priorkit.data.split_plan import SplitConfig, SplitPlan, make_splits
    from priorkit.data.splits import (
        Split,
        leave_one_group_out,
        story_kfold,
        stratified_kfold,
        temporal_splits,
    )
    from priorkit.data.stats import DatasetStats, dataset_stats
    from priorkit.data.stories import story_groups
    from priorkit.data.synth import SynthConfig, generate, write_synthetic
    from priorkit.data.tensors import sample_to_data

_EXPORTS = {
    "PriorBatch": "priorkit.data.batch",
    "collate": "priorkit.data.batch",
    "make_loader": "priorkit.data.batch",
    "load_cached": "priorkit.data.cache",
    "DroppedSample": "priorkit.data.dataset",
    "LoadReport": "priorkit.data.dataset",
    "TreeDataset": "priorkit.data.dataset",
    "read_jsonl": "priorkit.data.jsonl",
    "validate_jsonl": "priorkit.data.jsonl",
    "write_jsonl": "priorkit.data.jsonl",
    "LabelSpace": "priorkit.data.labels",
    "UnknownLabelError": "priorkit.data.labels",
    "FORMATS": "priorkit.data.formats",
    "load_format": "priorkit.data.formats",
    "load_pheme": "priorkit.data.loaders",
    "load_rvnn": "priorkit.data.loaders",
    "load_twitter": "priorkit.data.loaders",
    "load_twitter_rvnn": "priorkit.data.loaders",
    "graft": "priorkit.data.graft",
    "graft_dataset": "priorkit.data.graft",
    "from_networkx": "priorkit.data.networkx_io",
    "to_networkx": "priorkit.data.networkx_io",
    "DataValidationError": "priorkit.data.problems",
    "Problem": "priorkit.data.problems",
    "sample_from_dict": "priorkit.data.records",
    "sample_to_record": "priorkit.data.records",
    "TreeSample": "priorkit.data.sample",
    "SplitConfig": "priorkit.data.split_plan",
    "SplitPlan": "priorkit.data.split_plan",
    "make_splits": "priorkit.data.split_plan",
    "Split": "priorkit.data.splits",
    "leave_one_group_out": "priorkit.data.splits",
    "story_kfold": "priorkit.data.splits",
    "stratified_kfold": "priorkit.data.splits",
    "temporal_splits": "priorkit.data.splits",
    "story_groups": "priorkit.data.stories",
    "DatasetStats": "priorkit.data.stats",
    "dataset_stats": "priorkit.data.stats",
    "SynthConfig": "priorkit.data.synth",
    "generate": "priorkit.data.synth",
    "write_synthetic": "priorkit.data.synth",
    "sample_to_data": "priorkit.data.tensors",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "FORMATS",
    "DataValidationError",
    "DatasetStats",
    "DroppedSample",
    "LabelSpace",
    "LoadReport",
    "PriorBatch",
    "Problem",
    "Split",
    "SplitConfig",
    "SplitPlan",
    "SynthConfig",
    "TreeDataset",
    "TreeSample",
    "UnknownLabelError",
    "collate",
    "dataset_stats",
    "from_networkx",
    "generate",
    "graft",
    "graft_dataset",
    "leave_one_group_out",
    "load_cached",
    "load_format",
    "load_pheme",
    "load_rvnn",
    "load_twitter",
    "load_twitter_rvnn",
    "make_loader",
    "make_splits",
    "read_jsonl",
    "sample_from_dict",
    "sample_to_data",
    "sample_to_record",
    "story_groups",
    "story_kfold",
    "stratified_kfold",
    "temporal_splits",
    "to_networkx",
    "validate_jsonl",
    "write_jsonl",
    "write_synthetic",
]
