"""The run config: ``imports`` makes user priors and fusions nameable; fusions take arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from priorkit.errors import ConfigError
from priorkit.model import ModelConfig, PriorModel
from priorkit.runs.config import RunConfig

USER_PRIOR = """
from priorkit.priors import PRIORS, Prior, PriorConfig


class NudgeConfig(PriorConfig):
    amount: float = 0.1


@PRIORS.register("user_nudge_{tag}")
class NudgePrior(Prior):
    name = "user_nudge_{tag}"
    Config = NudgeConfig
"""


def test_imports_make_a_prior_of_user_code_nameable(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "my_priors.py").write_text(USER_PRIOR.format(tag="a"))
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = {"name": "user_nudge_a", "amount": 0.5}
    with pytest.raises(ConfigError, match=r"prior: expected one of .* \(got 'user_nudge_a'\)"):
        RunConfig.from_dict({"priors": [entry]})
    config = RunConfig.from_dict({"imports": ["my_priors"], "priors": [entry]})
    assert config.imports == ["my_priors"]
    (prior,) = config.priors  # held typed: the user's own config class
    assert type(prior).__name__ == "NudgeConfig" and (prior.name, prior.amount) == ("user_nudge_a", 0.5)
    assert config.model_dump()["priors"] == [{"name": "user_nudge_a", "weight": 1.0, "amount": 0.5}]
    assert prior.build().config is prior
    with pytest.raises(ConfigError, match=r"`priors`: .*amount"):
        RunConfig.from_dict({"imports": ["my_priors"], "priors": [{"name": "user_nudge_a", "amount": "x"}]})


def test_an_import_that_fails_is_named_with_its_cause() -> None:
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_dict({"imports": ["no_such_module_xyz"]}, where="c.yaml: ")
    assert "imports[0]: expected an importable module (got 'no_such_module_xyz': ModuleNotFoundError" in str(
        caught.value
    )
    assert "PYTHONPATH" in str(caught.value)


def test_fusion_arguments_are_validated_and_used() -> None:
    config = ModelConfig(fusion={"name": "cross_attention", "heads": 8}, hidden=16)
    model = PriorModel(config, num_features=4, num_classes=2, text_dim=8)
    assert model.fusion.heads == 8 and config.fusion.name == "cross_attention"
    assert PriorModel(ModelConfig(fusion="cross_attention", hidden=16), 4, 2, 8).fusion.heads == 4
    with pytest.raises(
        ConfigError,
        match=r"`model.fusion`: .*fusion \(cross_attention\): `head`: unknown key. Valid keys here: heads",
    ):
        RunConfig.from_dict({"model": {"fusion": {"name": "cross_attention", "head": 2}}})
    with pytest.raises(
        ConfigError, match=r"`model.fusion`: .*expected a fusion name, or a mapping with a `name`"
    ):
        RunConfig.from_dict({"model": {"fusion": {"heads": 2}}})


def test_a_run_config_file_shares_prior_settings_through_merge_keys(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(
        "x-decay: &decay {name: depth_decay, decay: 0.5, weight: 2.0}\n"
        "priors:\n"
        "  - <<: *decay\n"
        "  - {<<: *decay, name: modality_gate}\n"
    )
    with pytest.raises(
        ConfigError,
        match=r"priors\[1\] \(modality_gate\): `decay`: unknown key\. Valid keys here: enforce, [a-z_, ]+ \(got \[",
    ):
        RunConfig.from_yaml(path)  # modality_gate has no decay: the merged key is validated
    path.write_text(
        "x-decay: &decay {name: depth_decay, weight: 2.0}\n"
        "priors:\n"
        "  - <<: *decay\n"
        "  - {<<: *decay, weight: 0.5}\n"
    )
    first, second = RunConfig.from_yaml(path).priors
    assert (first.name, first.weight, second.name, second.weight) == ("depth_decay", 2.0, "depth_decay", 0.5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (["train.seed=-1"], r"`train.seed`: input should be greater than or equal to 0"),
        (
            ["train.seed=99999999999999999999999"],
            r"`train.seed`: input should be less than or equal to 4294967295",
        ),
        (
            ["train.learning_rate=1e400"],
            r"`train.learning_rate`: input should be a finite number \(got '1e400'\)",
        ),
        (["train.spike_factor=.nan"], r"`train.spike_factor`: input should be a finite number"),
        (
            ["priors=[{name: depth_decay, decay: .inf}]"],
            r"priors\[0\] \(depth_decay\): `decay`: input should be a finite number",
        ),
        (["model.hidden=1e400"], r"`model.hidden`"),
    ],
)
def test_settings_training_would_die_on_are_refused_before_it_starts(
    changes: list[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict({}, changes)


def test_a_batch_size_beyond_any_data_is_refused_before_a_run_folder_is_made() -> None:
    with pytest.raises(
        ConfigError, match=r"`train.batch_size`: input should be less than or equal to 2147483647"
    ):
        RunConfig.from_dict({"train": {"batch_size": 10**19}})


def test_a_text_encoder_running_its_own_code_is_read_only_from_a_trusted_config() -> None:
    """The user's own config may set trust_remote_code; a loaded model's config (read under
    code_trust(False)) that sets it is refused, as its `imports:` would be."""
    from priorkit.runs.config import code_trust

    entry = {"model": {"text_encoder": {"model": "some/model", "trust_remote_code": True}}}
    assert RunConfig.from_dict(entry).model.text_encoder.trust_remote_code
    with code_trust(False):
        with pytest.raises(
            ConfigError, match=r"trust_remote_code: the config runs the code its text encoder"
        ):
            RunConfig.from_dict(entry)
        assert not RunConfig.from_dict(
            {"model": {"text_encoder": "some/model"}}
        ).model.text_encoder.trust_remote_code


def test_from_dict_names_what_is_not_a_mapping() -> None:
    with pytest.raises(
        ConfigError, match=r"config: expected a mapping of the sections .*\(got list\)\. A YAML file"
    ):
        RunConfig.from_dict([("train", {})])  # type: ignore[arg-type]


def test_an_empty_data_path_is_refused_not_read_as_the_configs_folder() -> None:
    with pytest.raises(
        ConfigError, match=r"`data.train`: string should have at least 1 character \(got ''\)"
    ):
        RunConfig.from_dict({"data": {"train": ""}})
