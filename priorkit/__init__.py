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
    from priorkit.ablation import (
        CollectionConfig,
        FinishedArm,
        StudyConfig,
        finished_arm,
        load_study,
        run_study,
        summarise,
    )
    from priorkit.ablation.summary import cell_text
    from priorkit.analysis.ensemble_report import EnsembleReport
    from priorkit.analysis.leakage import leakage_report, user_bags, user_documents
    from priorkit.analysis.report import EvaluationReport
    from priorkit.api.ensemble import Ensemble, load_ensemble
    from priorkit.api.evaluation import evaluate
    from priorkit.api.explanation import TreeExplanation, explain, write_explanations
    from priorkit.api.fitting import fit, fit_ensemble
    from priorkit.api.neighbours import TextNeighbours, fit_neighbours
    from priorkit.api.prediction import SamplePrediction, predict, predict_file
    from priorkit.api.trial import TrialResult, run_trial
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
        dataset_stats,
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
    from priorkit.data.jsonl import iter_jsonl
    from priorkit.data.sources import as_dataset
    from priorkit.data.tables import from_pandas, from_records
    from priorkit.encoders.text import TextEncoder, TextEncoderConfig
    from priorkit.fusion import FUSIONS, Fusion, FusionConfig
    from priorkit.model import ModelConfig, PriorModel
    from priorkit.priors import (
        PRIORS,
        Check,
        Prior,
        PriorConfig,
        PriorStack,
        build_prior,
        build_priors,
        parse_prior,
    )
    from priorkit.runs.config import DataConfig, RunConfig, TrainConfig
    from priorkit.runs.graphs import text_features
    from priorkit.runs.schema import IncompatibleDataError
    from priorkit.runs.trained import TrainedModel, export, load

from priorkit.version import __version__

_EXPORTS = {
    "CollectionConfig": "priorkit.ablation",
    "FinishedArm": "priorkit.ablation",
    "StudyConfig": "priorkit.ablation",
    "finished_arm": "priorkit.ablation",
    "load_study": "priorkit.ablation",
    "run_study": "priorkit.ablation",
    "summarise": "priorkit.ablation",
    "cell_text": "priorkit.ablation.summary",
    "user_bags": "priorkit.analysis.leakage",
    "user_documents": "priorkit.analysis.leakage",
    "TrialResult": "priorkit.api.trial",
    "run_trial": "priorkit.api.trial",
    "dataset_stats": "priorkit.data",
    "TextEncoder": "priorkit.encoders.text",
    "TextEncoderConfig": "priorkit.encoders.text",
    "FusionConfig": "priorkit.fusion",
    "PriorStack": "priorkit.priors",
    "build_priors": "priorkit.priors",
    "parse_prior": "priorkit.priors",
    "text_features": "priorkit.runs.graphs",
    "as_dataset": "priorkit.data.sources",
    "build_prior": "priorkit.priors",
    "Check": "priorkit.priors",
    "collate": "priorkit.data",
    "DataConfig": "priorkit.runs.config",
    "DataValidationError": "priorkit.data",
    "evaluate": "priorkit.api.evaluation",
    "explain": "priorkit.api.explanation",
    "write_explanations": "priorkit.api.explanation",
    "TreeExplanation": "priorkit.api.explanation",
    "EvaluationReport": "priorkit.analysis.report",
    "export": "priorkit.runs.trained",
    "fit": "priorkit.api.fitting",
    "fit_ensemble": "priorkit.api.fitting",
    "Ensemble": "priorkit.api.ensemble",
    "load_ensemble": "priorkit.api.ensemble",
    "EnsembleReport": "priorkit.analysis.ensemble_report",
    "fit_neighbours": "priorkit.api.neighbours",
    "from_networkx": "priorkit.data",
    "from_pandas": "priorkit.data.tables",
    "from_records": "priorkit.data.tables",
    "Fusion": "priorkit.fusion",
    "FUSIONS": "priorkit.fusion",
    "generate": "priorkit.data",
    "IncompatibleDataError": "priorkit.runs.schema",
    "iter_jsonl": "priorkit.data.jsonl",
    "LabelSpace": "priorkit.data",
    "leakage_report": "priorkit.analysis.leakage",
    "leave_one_group_out": "priorkit.data",
    "load": "priorkit.runs.trained",
    "load_cached": "priorkit.data",
    "load_format": "priorkit.data",
    "LoadReport": "priorkit.data",
    "make_loader": "priorkit.data",
    "make_splits": "priorkit.data",
    "ModelConfig": "priorkit.model",
    "predict": "priorkit.api.prediction",
    "predict_file": "priorkit.api.prediction",
    "Prior": "priorkit.priors",
    "PriorBatch": "priorkit.data",
    "PriorConfig": "priorkit.priors",
    "PriorModel": "priorkit.model",
    "PRIORS": "priorkit.priors",
    "Problem": "priorkit.data",
    "read_jsonl": "priorkit.data",
    "RunConfig": "priorkit.runs.config",
    "sample_from_dict": "priorkit.data",
    "sample_to_data": "priorkit.data",
    "SamplePrediction": "priorkit.api.prediction",
    "Split": "priorkit.data",
    "SplitConfig": "priorkit.data",
    "story_groups": "priorkit.data",
    "story_kfold": "priorkit.data",
    "stratified_kfold": "priorkit.data",
    "SynthConfig": "priorkit.data",
    "temporal_splits": "priorkit.data",
    "to_networkx": "priorkit.data",
    "TextNeighbours": "priorkit.api.neighbours",
    "TrainConfig": "priorkit.runs.config",
    "TrainedModel": "priorkit.runs.trained",
    "TreeDataset": "priorkit.data",
    "TreeSample": "priorkit.data",
    "validate_jsonl": "priorkit.data",
    "write_jsonl": "priorkit.data",
    "write_synthetic": "priorkit.data",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted([*_EXPORTS, "ConfigError", "PriorkitError", "RegistryError", "__version__"])
