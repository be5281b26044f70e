"""The data layer: samples, the JSONL format and its validation, loaders, tensors, batches, splits."""

from priorkit.data.batch import PriorBatch, collate, make_loader
from priorkit.data.cache import load_cached
from priorkit.data.dataset import DroppedSample, LoadReport, TreeDataset
from priorkit.data.jsonl import read_jsonl, validate_jsonl, write_jsonl
from priorkit.data.labels import LabelSpace, UnknownLabelError
from priorkit.data.loaders import FORMATS, load_format, load_pheme, load_rvnn, load_twitter
from priorkit.data.networkx_io import from_networkx, to_networkx
from priorkit.data.problems import DataValidationError, Problem
from priorkit.data.records import sample_from_dict, sample_to_record
from priorkit.data.sample import TreeSample
from priorkit.data.splits import Split, leave_one_group_out, stratified_kfold
from priorkit.data.stats import DatasetStats, dataset_stats
from priorkit.data.synth import SynthConfig, generate, write_synthetic
from priorkit.data.tensors import sample_to_data

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
    "SynthConfig",
    "TreeDataset",
    "TreeSample",
    "UnknownLabelError",
    "collate",
    "dataset_stats",
    "from_networkx",
    "generate",
    "leave_one_group_out",
    "load_cached",
    "load_format",
    "load_pheme",
    "load_rvnn",
    "load_twitter",
    "make_loader",
    "read_jsonl",
    "sample_from_dict",
    "sample_to_data",
    "sample_to_record",
    "stratified_kfold",
    "to_networkx",
    "validate_jsonl",
    "write_jsonl",
    "write_synthetic",
]
