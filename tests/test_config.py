from pathlib import Path

import pytest

from priorkit.config import apply_overrides, load_config
from priorkit.data.synth import SynthConfig
from priorkit.errors import ConfigError


def test_yaml_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("seed: 3\nsignal: {root: 1.0}\n")
    config = load_config(SynthConfig, path, ["n_train=10", "signal.shallow=0.5"])
    assert (config.seed, config.n_train) == (3, 10)
    assert config.signal == {"root": 1.0, "shallow": 0.5}


def test_unknown_key_names_the_valid_keys() -> None:
    with pytest.raises(ConfigError, match=r"`sed`: unknown key\. Valid keys here: .*seed"):
        load_config(SynthConfig, {"sed": 1})


def test_bad_value_names_the_key_path_and_value() -> None:
    with pytest.raises(
        ConfigError,
        match=r"`shortcut`: input should be 'root', 'shallow', 'leaves', .* or 'text' \(got 'x'\)",
    ):
        load_config(SynthConfig, {"shortcut": "x"})


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("seed: 1\nsignal: [1,\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:\d+: expected valid YAML"):
        load_config(SynthConfig, path)


def test_malformed_override() -> None:
    with pytest.raises(ConfigError, match="expected key=value"):
        apply_overrides({}, ["seed"])
