from pathlib import Path

import pytest
import yaml

from priorkit.ablation import run_study
from priorkit.ablation.grid import expand
from priorkit.ablation.study import load_study
from priorkit.errors import ConfigError


def write(tmp_path: Path, study: dict) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def test_one_trial_per_dataset_arm_seed_and_fold(study_file: Path, tmp_path: Path) -> None:
    study = yaml.safe_load(study_file.read_text())
    study["folds"] = 3
    study["datasets"] = {"a": {"source": "a.jsonl"}, "b": {"source": "b.jsonl", "evaluate": {"x": "x.jsonl"}}}
    for name in ("a", "b", "x"):
        (tmp_path / f"{name}.jsonl").touch()  # every file a study reads is checked when it loads
    study["sweeps"] = [{"arm": "decay", "prior": "depth_decay", "arg": "decay", "values": [0.5, 4]}]
    loaded, base = load_study(write(study_file.parent, study))
    with pytest.raises(ConfigError, match="saved folds of 'a' are needed"):
        expand(loaded, base)
    trials = expand(loaded, base, {"a": (3, "splits/a.json"), "b": (3, "splits/b.json")})
    arms = ["baseline", "decay", "decay@decay=0.5", "decay@decay=4"]
    assert len(trials) == 2 * 4 * 2 * 3 and len({t.key for t in trials}) == len(trials)
    assert sorted({t.arm for t in trials}) == sorted(arms)
    first = trials[0]
    assert first.key == "a/baseline/seed0/fold0" and first.source == str(tmp_path / "a.jsonl")
    assert first.split_file == "splits/a.json" and trials[-1].split_file == "splits/b.json"
    swept = next(t for t in trials if t.arm == "decay@decay=4")
    assert swept.config.priors[0].decay == 4 and swept.sweep == {
        "prior": "depth_decay",
        "arg": "decay",
        "value": 4,
    }
    assert next(t for t in trials if t.arm == "decay").config.priors[0].decay == 2.0
    assert {t.config.train.seed for t in trials} == {0, 1}
    assert next(t for t in trials if t.dataset == "b").evaluate == {"x": str(tmp_path / "x.jsonl")}


def test_fixed_split_trials_keep_the_base_files(study_file: Path, small_data: Path) -> None:
    study, base = load_study(study_file)
    trials = expand(study, base)
    name = small_data.name  # a study without `datasets` names its data after the training file's folder
    assert [t.key for t in trials] == [
        f"{name}/baseline/seed0/fixed",
        f"{name}/baseline/seed1/fixed",
        f"{name}/decay/seed0/fixed",
        f"{name}/decay/seed1/fixed",
    ]
    assert trials[0].config.data.train == str(small_data / "train.jsonl")
    assert trials[0].evaluate == {"test_ood": str(small_data / "test_ood.jsonl")}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"arms": {"baseline": {}}, "sede": [1]}, r"`sede`: unknown key. Valid keys here: arms, base"),
        (
            {"folds": 1},
            r"`folds`: expected an integer >= 2, `groups` or a split mapping \(got 1\)",
        ),
        (
            {"sweeps": [{"arm": "nope", "prior": "x", "arg": "y", "values": [1]}]},
            r"sweeps: arm 'nope' is not among",
        ),
        (
            {"datasets": {"../../ESCAPED": {"source": "all.jsonl"}}},
            r"datasets: '../../ESCAPED' cannot name a folder of the study; use letters, digits and -_.=@",
        ),
        ({"datasets": {"..": {"source": "all.jsonl"}}}, r"datasets: '..' cannot name a folder"),
        ({"seeds": [0, 1, 0]}, r"seeds: expected each seed once \(got \[0\] more than once\)"),
        ({"seeds": [-1]}, r"`seeds.0`: input should be greater than or equal to 0"),
        ({"seeds": [2**40]}, r"`seeds.0`: input should be less than or equal to 4294967295"),
        ({"arms": {"baseline": {}, "..": {}}}, r"arms: '..' cannot name a folder of the study"),
        ({"arms": {"baseline": {}, "": {}}}, r"arms: '' cannot name a folder of the study"),
        (
            {"arms": {"baseline": {}, "x" * 300: {}}},
            r"arms: 'x{40}'\.\.\. is too long to name a folder .*200 bytes",
        ),
        ({"baseline": "zzz"}, r"baseline: expected one of the arms \(baseline, decay\) \(got 'zzz'\)"),
        ({"evaluate": {"test": "x.jsonl"}}, r"evaluate: test names a report of every trial"),
        (
            {"evaluate": {"ood": "/nonexistent/ood.jsonl"}},
            r"expected files and collections that exist \(got none at evaluate.ood \(/nonexistent/ood.jsonl\)\)",
        ),
        (
            {"datasets": {"fixed": {"train": "gone.jsonl", "val": "v.jsonl", "test": "t.jsonl"}}},
            r"\(got none at datasets.fixed.train \(.*gone.jsonl\), datasets.fixed.val \(.*v.jsonl\), "
            r"datasets.fixed.test \(.*t.jsonl\)\)\. Fix the paths",
        ),
        (
            {"datasets": {"folded": {"source": "nowhere"}}},
            r"\(got none at datasets.folded.source \(.*nowhere\)\)",
        ),
    ],
)
def test_bad_study_files_are_refused_with_the_key(study_file: Path, change: dict, message: str) -> None:  # type: ignore[type-arg]
    study = yaml.safe_load(study_file.read_text())
    study.update(change)
    with pytest.raises(ConfigError, match=message):
        load_study(write(study_file.parent, study))


def test_a_sweep_over_a_prior_the_arm_lacks_names_it(study_file: Path) -> None:
    study = yaml.safe_load(study_file.read_text())
    study["sweeps"] = [{"arm": "baseline", "prior": "depth_decay", "arg": "decay", "values": [1]}]
    loaded, base = load_study(write(study_file.parent, study))
    with pytest.raises(ConfigError, match="arm 'baseline' has no prior 'depth_decay'"):
        expand(loaded, base)


def test_a_sweep_over_a_prior_the_arm_holds_twice_is_refused_not_applied_to_the_first(
    study_file: Path,
) -> None:
    study = yaml.safe_load(study_file.read_text())
    study["arms"]["twice"] = {
        "priors": [{"name": "depth_decay", "decay": 1.0}, {"name": "depth_decay", "decay": 2.0}]
    }
    study["sweeps"] = [{"arm": "twice", "prior": "depth_decay", "arg": "decay", "values": [3.0]}]
    loaded, base = load_study(write(study_file.parent, study))
    with pytest.raises(ConfigError, match=r"arm 'twice' has 2 priors 'depth_decay' \(at priors 0, 1\)"):
        expand(loaded, base)


def test_arms_that_would_share_a_folder_are_refused(study_file: Path) -> None:
    study = yaml.safe_load(study_file.read_text())
    study["arms"] = {"a b": {"priors": []}, "a_b": {"priors": []}}
    study["baseline"] = "a b"
    loaded, base = load_study(write(study_file.parent, study))
    with pytest.raises(ConfigError, match=r"arms: 'a b' and 'a_b' would share the trial folder 'a_b'"):
        expand(loaded, base)


@pytest.mark.parametrize(
    ("arm", "message"),
    [
        ({"model.fusion": "gatd"}, r"arms.typo: `model.fusion`: .*gatd"),
        ({"priors": [{"name": "depth_decay", "decya": 2.0}]}, r"arms.typo: .*decya"),
    ],
)
def test_every_arm_is_checked_before_any_trial(
    study_file: Path, tmp_path: Path, arm: dict, message: str
) -> None:  # type: ignore[type-arg]
    study = yaml.safe_load(study_file.read_text())
    study["arms"]["typo"] = arm
    with pytest.raises(ConfigError, match=message):
        run_study(write(study_file.parent, study), tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "trials").exists()  # nothing ran


def test_a_sweep_over_an_argument_the_prior_lacks_is_refused_before_any_trial(study_file: Path) -> None:
    study = yaml.safe_load(study_file.read_text())
    study["sweeps"] = [{"arm": "decay", "prior": "depth_decay", "arg": "lambda", "values": [1, 2]}]
    loaded, base = load_study(write(study_file.parent, study))
    with pytest.raises(ConfigError, match=r"sweeps \(decay@lambda=1\): `priors\.0\.lambda`: unknown key"):
        expand(loaded, base)


@pytest.mark.parametrize("values", [[1, 1.0], [2, 2]])
def test_a_sweep_value_given_twice_is_refused_not_run_twice_or_merged(study_file: Path, values: list) -> None:  # type: ignore[type-arg]
    study = yaml.safe_load(study_file.read_text())
    study["sweeps"] = [{"arm": "decay", "prior": "depth_decay", "arg": "decay", "values": [0.5, *values]}]
    loaded, base = load_study(write(study_file.parent, study))
    with pytest.raises(
        ConfigError, match=rf"sweeps: decay.decay: expected each value once \(got {values[1]!r}, "
    ):
        expand(loaded, base)


def test_a_swept_arm_whose_name_another_arm_has_is_named(study_file: Path) -> None:
    study = yaml.safe_load(study_file.read_text())
    study["arms"]["decay@decay=0.5"] = dict(study["arms"]["decay"])
    study["sweeps"] = [{"arm": "decay", "prior": "depth_decay", "arg": "decay", "values": [0.5]}]
    loaded, base = load_study(write(study_file.parent, study))
    with pytest.raises(ConfigError, match=r"sweeps: the arm 'decay@decay=0.5' is made twice"):
        expand(loaded, base)


def test_a_key_given_twice_in_a_study_file_is_refused(study_file: Path) -> None:
    text = study_file.read_text() + "seeds: [5]\n"  # the file already sets seeds
    study_file.write_text(text)
    with pytest.raises(
        ConfigError, match=r"study.yaml:\d+: expected valid YAML \(got duplicate key 'seeds' \(first at line"
    ):
        load_study(study_file)
