from pathlib import Path

import pytest

from priorkit.config import apply_overrides, differences, load_config, parse_yaml, whole_number
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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "seed: 1\nn_train: 5\nseed: 2\n",
            r"c.yaml:3: expected valid YAML \(got duplicate key 'seed' \(first at line 1\)",
        ),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
            r"c.yaml: expected a config of ordinary size \(got one \d+ values once its aliases are expanded",
        ),
        (
            "seed: " + "[" * 50_000 + "]" * 50_000 + "\n",
            r"c.yaml: expected a config of ordinary size \(got one nested",
        ),
        (
            "seed: !!python/object/apply:os.system ['true']\n",
            r"c.yaml:1: expected valid YAML \(got could not determine a constructor",
        ),
        ("seed: 1\n? [a, b]\n: 2\n", r"c.yaml:2: expected valid YAML \(got a list as a key; write each key"),
        ("seed: -1\n", r"`seed`: input should be greater than or equal to 0 \(got -1\)"),
    ],
    ids=["duplicate key", "billion laughs", "deep nesting", "python tag", "list as a key", "negative seed"],
)
def test_hostile_yaml_is_refused_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(SynthConfig, path)
    assert len(str(raised.value)) < 400 and "\n" not in str(raised.value)


def test_aliases_of_ordinary_size_still_work() -> None:
    shared = {"priors": [{"name": "depth_decay"}]}
    assert parse_yaml("a: &arm {priors: [{name: depth_decay}]}\nb: *arm\n") == {"a": shared, "b": shared}


def test_merge_keys_are_standard_yaml_and_keys_beside_them_override(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "x-base: &base {seed: 3, n_train: 10}\n"
        "x-signal: &signal {root: 1.0, shallow: 0.5}\n"
        "<<: *base\n"
        "n_train: 12\n"
        "signal: {<<: [*signal], shallow: 0.25}\n"
    )
    config = load_config(SynthConfig, path)
    assert (config.seed, config.n_train) == (3, 12)
    assert config.signal == {"root": 1.0, "shallow": 0.25}


def test_a_merge_of_a_scalar_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("seed: 1\nsignal:\n  <<: 3\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:3: expected valid YAML \(got expected a mapping"):
        load_config(SynthConfig, path)


def test_an_unknown_top_level_key_of_a_file_points_to_the_x_prefix(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("base: &b {seed: 1}\n<<: *b\n")
    with pytest.raises(ConfigError, match=r"`base`: unknown key\. .*start it with 'x-'"):
        load_config(SynthConfig, path)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("n_train=[1", r"--set 'n_train=\[1': expected a YAML value \(got expected ',' or '\]'"),
        (
            "n_train=!!python/object/apply:os.system ['true']",
            r"expected a YAML value \(got could not determine a constructor",
        ),
    ],
)
def test_bad_override_values_are_named(item: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_overrides({}, [item])


def test_differences_name_every_changed_dotted_key_and_leave_out_the_ignored() -> None:
    old = {"model": {"fusion": "gated", "tree": {"hidden": 64}}, "train": {"seed": 0, "progress_bar": True}}
    new = {"model": {"fusion": "concat", "tree": {"hidden": 64}}, "train": {"seed": 0, "progress_bar": False}}
    new["data"] = {"max_nodes": 100}
    assert differences(old, new, frozenset({"train.progress_bar"})) == [
        "data.max_nodes: None -> 100",
        "model.fusion: 'gated' -> 'concat'",
    ]
    assert differences(old, old) == []


def run_config():  # type: ignore[no-untyped-def]
    from priorkit.runs.config import RunConfig

    return RunConfig.from_dict(
        {
            "model": {"text_encoder": {"model": "a/b", "max_length": 64}, "fusion": "concat"},
            "priors": [{"name": "Depth-Decay", "decay": 2.0}],
        }
    )


def test_updated_changes_a_typed_copy_by_dotted_paths_list_positions_and_nested_mappings() -> None:
    config = run_config()
    changed = config.updated(
        {
            "priors.0.weight": 3,
            "train.seed": 4,
            "model": {"fusion": {"name": "cross_attention", "heads": 2}},  # another fusion: replaced
            "model.text_encoder.model": "c/d",  # the other text encoder settings kept
        }
    )
    assert changed.priors[0].weight == 3.0 and changed.priors[0].decay == 2.0
    assert type(changed.priors[0]).__name__ == "DepthDecayConfig" and changed.train.seed == 4
    assert (changed.model.fusion.name, changed.model.fusion.heads) == ("cross_attention", 2)
    assert (changed.model.text_encoder.model, changed.model.text_encoder.max_length) == ("c/d", 64)
    # the original is untouched, and what did not change is shared, not rebuilt
    assert (config.priors[0].weight, config.train.seed, config.model.fusion.name) == (1.0, 0, "concat")
    assert changed.data is config.data and changed.model.tree is config.model.tree
    assert config.updated(["train.epochs=2"]).train.epochs == 2  # --set strings too


def test_dotted_changes_of_one_nested_config_are_validated_together_and_applied_in_order() -> None:
    from pydantic import BaseModel, model_validator

    from priorkit.config import updated

    class Span(BaseModel):
        lo: int = 0
        hi: int = 1

        @model_validator(mode="after")
        def _ordered(self) -> "Span":
            if self.lo >= self.hi:
                raise ValueError(f"expected lo < hi (got {self.lo}, {self.hi})")
            return self

    class Outer(BaseModel):
        span: Span = Span()
        spans: list[Span] = [Span(), Span()]

    # one at a time, lo=5 would meet hi=1 and be refused; together they are valid
    moved = updated(Outer(), {"span.lo": 5, "span.hi": 6, "spans.1.lo": 7, "spans.1.hi": 8})
    assert (moved.span.lo, moved.span.hi, moved.spans[1].lo, moved.spans[1].hi) == (5, 6, 7, 8)
    assert moved.spans[0] == Span()
    # other fields between them do not split them
    assert updated(Outer(), {"span.lo": 5, "spans.0.hi": 3, "span.hi": 6}).span == Span(lo=5, hi=6)
    # a whole field, then a dotted key of it: in order (the later key changes the new value)
    assert updated(Outer(), {"span": {"lo": 1, "hi": 9}, "span.lo": 2}).span == Span(lo=2, hi=9)
    with pytest.raises(ConfigError, match=r"`span`.*expected lo < hi \(got 5, 1\)"):
        updated(Outer(), {"span.lo": 5})  # what stays invalid is still refused, named


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"priors.3.weight": 1}, r"arms\.x: `priors\.3`: expected a position in the list of 1 \(got '3'\)"),
        ({"priors.0.wight": 1}, r"arms\.x: `priors\.0\.wight`: unknown key\. Valid keys here: decay, "),
        ({"train.seed.x": 1}, r"arms\.x: `train\.seed`: expected a section with keys \(got 0\)"),
        ({"modle.hidden": 3}, r"arms\.x: `modle`: unknown key\. Valid keys here: data, imports, model"),
        ({"model.fusion": {"heads": 2}}, r"`model\.fusion\.heads`: unknown key\. Valid keys here: name"),
        ({"priors": [{"name": "depth_decay", "decay": -1}]}, r"priors\[0\] \(depth_decay\): `decay`"),
    ],
)
def test_updated_names_the_dotted_key_of_a_wrong_change(changes: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=message):
        run_config().updated(changes, where="arms.x: ")


def test_a_set_override_numbers_into_a_list_and_names_a_number_past_its_end() -> None:
    from priorkit.runs.config import RunConfig

    base = {"priors": [{"name": "depth_decay"}, {"name": "modality_gate"}]}
    config = RunConfig.from_dict(base, ["priors.0.decay=2", "priors.1.weight=0.5"])
    assert (config.priors[0].decay, config.priors[1].weight) == (2.0, 0.5)
    assert base == {"priors": [{"name": "depth_decay"}, {"name": "modality_gate"}]}  # not modified
    for bad in ("priors.2.decay=2", "priors.-1.weight=1", "priors.first.weight=1", "priors.\u00b2=x"):
        with pytest.raises(
            ConfigError, match=r"expected an entry number of `priors` below 2 .*e\.g\. priors\.0"
        ):
            RunConfig.from_dict(base, [bad])
    with pytest.raises(ConfigError, match=r"expected an entry of `priors` to change \(got an empty list\)"):
        RunConfig.from_dict({"priors": []}, ["priors.0.decay=1"])


def _configs() -> list[type]:
    import priorkit  # noqa: F401  (every config class is defined by importing the package)
    from priorkit.ablation.study import StudyConfig  # noqa: F401
    from priorkit.config import Settings

    found, pending = [], [Settings]
    while pending:
        current = pending.pop()
        found.extend(current.__subclasses__())
        pending.extend(current.__subclasses__())
    return sorted(set(found), key=lambda c: c.__qualname__)


def test_true_or_false_is_refused_wherever_only_a_number_fits_in_every_config() -> None:
    from priorkit.config import _number_only

    numbers = 0
    for config in _configs():
        for name, field in config.model_fields.items():
            if name == "name" or not _number_only(field.annotation):
                continue
            numbers += 1
            with pytest.raises(
                ConfigError, match=rf"`{name}`: expected numbers, not true or false \(got true\)"
            ):
                load_config(config, {name: True})
    assert numbers > 40  # the walk found the configs' numeric fields


def test_a_boolean_setting_still_takes_true_and_a_number_still_takes_an_integer() -> None:
    from priorkit.runs.config import TrainConfig

    config = load_config(TrainConfig, {"progress_bar": True, "learning_rate": 1, "epochs": 2})
    assert (config.progress_bar, config.learning_rate, config.epochs) == (True, 1.0, 2)


def test_true_or_false_inside_a_list_or_mapping_of_numbers_is_refused_too() -> None:
    from priorkit.ablation.study import StudyConfig
    from priorkit.runs.config import RunConfig

    with pytest.raises(
        ConfigError, match=r"`seeds`: expected numbers, not true or false \(got \[True, False\]\)"
    ):
        load_config(StudyConfig, {"base": {}, "arms": {"baseline": {}}, "seeds": [True, False]})
    with pytest.raises(ConfigError, match=r"`signal`: expected numbers, not true or false"):
        load_config(SynthConfig, {"signal": {"root": True}})
    with pytest.raises(ConfigError, match=r"label_shift.*`target`: expected numbers, not true or false"):
        load_config(RunConfig, {"priors": [{"name": "label_shift", "target": {"a": True, "b": False}}]})
    assert load_config(SynthConfig, {"signal": {"root": 1}}).signal["root"] == 1.0


@pytest.mark.parametrize(
    ("value", "least", "most", "expected"),
    [
        (3, None, None, 3),
        (0, None, None, 0),
        (-2, None, None, -2),
        (0, 1, None, None),
        (1, 1, None, 1),
        (1001, 1, 1000, None),
        (1000, 1, 1000, 1000),
        (True, None, None, None),
        (False, 0, None, None),
        (2.0, None, None, None),
        ("3", None, None, None),
        (None, None, None, None),
    ],
)
def test_whole_number_takes_integers_within_bounds_and_nothing_else(
    value: object, least: int | None, most: int | None, expected: int | None
) -> None:
    assert whole_number(value, least, most) == expected


def test_whole_number_turns_numpy_integers_into_python_ones() -> None:
    import numpy as np

    for value in (np.int64(5), np.int32(5), np.uint8(5)):
        number = whole_number(value, 1)
        assert number == 5 and type(number) is int
    assert whole_number(np.float64(5.0)) is None and whole_number(np.bool_(True)) is None


def test_an_unknown_key_inside_a_mapping_or_list_of_configs_lists_that_configs_keys() -> None:
    """``datasets.<name>.path`` listed the study's top-level keys; it lists a dataset's."""
    from pydantic import Field

    from priorkit.config import Settings

    class Inner(Settings):
        source: str = ""
        format: str = "jsonl"

    class Outer(Settings):
        datasets: dict[str, Inner] | None = None
        steps: list[Inner] = Field(default_factory=list)
        seed: int = 0

    for given, key in [
        ({"datasets": {"d1": {"path": "x"}}}, "datasets.d1.path"),
        ({"steps": [{"source": "a"}, {"nope": 1}]}, "steps.1.nope"),
    ]:
        with pytest.raises(ConfigError, match=rf"`{key}`: unknown key\. Valid keys here: format, source$"):
            load_config(Outer, given)


def test_path_of_takes_non_empty_paths_and_names_anything_else(tmp_path: Path) -> None:
    from priorkit.config import path_of

    assert path_of("a/b.jsonl", "path", "a JSONL file") == Path("a/b.jsonl")
    assert path_of(tmp_path, "out", "a folder") == tmp_path
    for value, shown in [(None, "None"), ("  ", "'  '"), (3, "3"), (["a"], r"\['a'\]"), (b"x", "b'x'")]:
        with pytest.raises(
            ConfigError, match=rf"^path: expected the path of a JSONL file \(got {shown}\)\.$"
        ):
            path_of(value, "path", "a JSONL file")


def test_the_union_member_pydantic_tried_is_not_shown_as_a_key() -> None:
    """``evaluate.x.Inner.nope`` named a class where the user wrote keys: it reads ``evaluate.x.nope``."""
    from priorkit.config import Settings

    class Inner(Settings):
        source: str = ""

    class Outer(Settings):
        evaluate: dict[str, str | Inner] | None = None

    with pytest.raises(ConfigError) as raised:
        load_config(Outer, {"evaluate": {"x": {"source": "y", "nope": 1}}})
    assert "`evaluate.x`: input should be a valid string" in str(raised.value)
    assert "`evaluate.x.nope`: unknown key. Valid keys here: source" in str(raised.value)
    assert "Inner" not in str(raised.value)


def test_a_config_built_from_keywords_raises_a_config_error_naming_the_key() -> None:
    from priorkit.runs.config import RunConfig, TrainConfig

    with pytest.raises(
        ConfigError, match=r"^TrainConfig: `epochs`: input should be greater than or equal to 1 \(got -1\)\.$"
    ):
        TrainConfig(epochs=-1)
    with pytest.raises(ConfigError, match=r"^SynthConfig: `sed`: unknown key\. Valid keys here: .*seed"):
        SynthConfig(sed=1)
    # a nested section keeps its dotted key, as in a file
    with pytest.raises(ConfigError, match=r"^RunConfig: `train\.epochs`: input should be greater"):
        RunConfig(train={"epochs": 0})
    with pytest.raises(ConfigError, match=r"^`train\.epochs`: input should be greater"):
        RunConfig.from_dict({"train": {"epochs": 0}})
    assert TrainConfig(epochs=3).epochs == 3 and RunConfig(train={"epochs": 4}).train.epochs == 4


def test_a_whole_configs_own_check_is_not_put_under_a_key() -> None:
    from priorkit.data.split_plan import SplitConfig

    with pytest.raises(
        ConfigError, match=r"^SplitConfig: k: expected an integer >= 2 for kind 'stratified' \(got 1\)$"
    ):
        SplitConfig(kind="stratified", k=1)
    with pytest.raises(ConfigError, match=r"^splits\.yaml: k: expected an integer >= 2"):
        load_config(SplitConfig, {"kind": "stratified", "k": 1}, where="splits.yaml: ")
