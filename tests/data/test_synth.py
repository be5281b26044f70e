from pathlib import Path

import numpy as np
import pytest

from priorkit.data.jsonl import read_jsonl
from priorkit.data.synth import (
    CLASS_LABELS,
    POSITIVE_WORDS,
    SHORTCUT_WORDS,
    WORDS,
    SynthConfig,
    generate,
    write_synthetic,
)

SMALL = SynthConfig(n_train=200, n_val=20, n_test=200, seed=1)


def shortcut_agreement(samples) -> float:  # type: ignore[no-untyped-def]
    hits = []
    for s in samples:
        leaves = s.features[:, 1] != 0
        sign = 1.0 if s.label == "positive" else -1.0
        hits.append(np.mean(s.features[leaves, 1] == sign))
    return float(np.mean(hits))


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b = generate(SMALL), generate(SMALL)
    c = generate(SMALL.model_copy(update={"seed": 2}))
    assert [s.text for s in a["train"]] == [s.text for s in b["train"]]
    assert np.array_equal(a["train"][5].features, b["train"][5].features)
    assert [s.text for s in a["train"]] != [s.text for s in c["train"]]


def test_shortcut_is_tied_in_distribution_and_random_out_of_it() -> None:
    splits = generate(SMALL)
    assert shortcut_agreement(splits["train"]) == 1.0
    assert shortcut_agreement(splits["test_id"]) == 1.0
    assert 0.4 < shortcut_agreement(splits["test_ood"]) < 0.6


def test_shortcut_sits_in_the_leaves_only() -> None:
    for s in generate(SMALL)["train"][:50]:
        has_child = np.zeros(s.num_nodes, dtype=bool)
        has_child[s.parent_index[s.parent_index != np.arange(s.num_nodes)]] = True
        marked = s.features[:, 1] != 0
        assert not (marked & has_child).any()
        assert marked.any()


def test_text_noise_sets_how_often_the_text_lies() -> None:
    def text_agreement(noise: float) -> float:
        samples = generate(SMALL.model_copy(update={"text_noise": noise}))["train"]
        return float(
            np.mean(
                [any(w in s.text.split() for w in POSITIVE_WORDS) == (s.label == "positive") for s in samples]
            )
        )

    assert text_agreement(0.0) == 1.0
    assert 0.6 < text_agreement(0.3) < 0.8


def test_root_carries_the_signal_and_importance_marks_it() -> None:
    samples = generate(SMALL)["train"]
    root_signal = np.array([s.features[s.root, 0] for s in samples])
    positive = np.array([s.label == "positive" for s in samples])
    assert root_signal[positive].mean() > 0.5 > -0.5 > root_signal[~positive].mean()
    assert all(s.importance[s.root] == 1.0 and s.importance.sum() == 1.0 for s in samples)


def test_written_files_are_valid(tmp_path: Path) -> None:
    paths = write_synthetic(tmp_path, SMALL)
    assert sorted(paths) == ["test_id", "test_ood", "train", "val"]
    assert len(read_jsonl(paths["test_ood"])) == 200
    assert (tmp_path / "synth.json").is_file()


def test_the_largest_time_scales_allowed_still_write_finite_times(tmp_path: Path) -> None:
    from priorkit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"`time_scale`: input should be less than or equal to 1000000"):
        SynthConfig(time_scale=3e38)
    largest = SynthConfig(n_train=20, n_val=4, n_test=4, shortcut="time", time_scale=1e6, time_step=1e3)
    paths = write_synthetic(tmp_path, largest)
    assert all(np.isfinite(s.time).all() for s in read_jsonl(paths["train"]))


def test_shipped_default_data_is_what_the_generator_writes(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "datasets" / "synthetic"
    config = SynthConfig.model_validate_json((shipped / "synth.json").read_text())
    assert config.shortcut == "leaves" and set(config.signal) == {"root"}
    write_synthetic(tmp_path, config)
    for split in ("train", "val", "test_id", "test_ood"):
        assert (tmp_path / f"{split}.jsonl").read_bytes() == (shipped / f"{split}.jsonl").read_bytes(), split


def _mean(samples, value) -> float:  # type: ignore[no-untyped-def]
    return float(np.mean([value(s) for s in samples]))


def test_shapes_grow_the_trees_they_name() -> None:
    def world(shape: str):  # type: ignore[no-untyped-def]
        return generate(SMALL.model_copy(update={"shape": shape, "max_depth": 12}))["train"]

    star, chain, recursive = world("star"), world("chain"), world("recursive")
    under_root = lambda s: float((s.depth == 1).mean())  # noqa: E731
    assert _mean(star, under_root) > 0.6 > 0.3 > _mean(recursive, under_root)
    deepest = lambda s: float(s.depth.max())  # noqa: E731
    assert _mean(chain, deepest) > 2 * _mean(recursive, deepest)
    for s in world("preferential") + chain:
        assert s.depth.max() <= 12 and s.parent_index[0] == 0


def _shown_class(sample, config: SynthConfig) -> list[int]:  # type: ignore[no-untyped-def]
    """The class the shortcut carriers of a sample point to."""
    codes = list(config.shortcut_codes())
    if config.shortcut == "text":
        return [next(k for k, w in enumerate(SHORTCUT_WORDS) if sample.text.endswith(w))]
    if config.shortcut == "user":
        return [int(u[len("shortcut")]) for u in sample.user if u is not None]
    if config.shortcut == "time":
        gaps = sample.time[1:] - sample.time[sample.parent_index[1:]]
        return [
            int(
                np.argmin(
                    [
                        abs(np.log(gaps.mean() / (config.time_scale * (0.5 + config.time_step * k))))
                        for k in range(len(codes))
                    ]
                )
            )
        ]
    return [codes.index(v) for v in sample.features[:, 1] if v != 0]


@pytest.mark.parametrize("where", ["all_leaves", "deep", "user", "text", "time"])
def test_every_shortcut_place_is_tied_in_distribution_and_random_out_of_it(where: str) -> None:
    config = SMALL.model_copy(update={"shortcut": where, "num_classes": 3, "min_nodes": 20, "max_nodes": 40})
    splits = generate(config)

    def agreement(samples) -> float:  # type: ignore[no-untyped-def]
        return _mean(
            samples, lambda s: np.mean([k == config.labels.index(s.label) for k in _shown_class(s, config)])
        )

    floor = 0.8 if where == "time" else 1.0  # node times are noisy: the class is read off their mean
    assert agreement(splits["train"]) >= floor
    assert agreement(splits["test_ood"]) < 0.5


def test_time_step_spreads_the_classes_growth_rates() -> None:
    def mean_gap(config: SynthConfig, label: str) -> float:
        gaps = [
            np.mean(s.time[1:] - s.time[s.parent_index[1:]])
            for s in generate(config)["train"]
            if s.label == label
        ]
        return float(np.mean(gaps))

    base = SMALL.model_copy(update={"shortcut": "time", "min_nodes": 20, "max_nodes": 40})
    for step in (1.0, 4.0):
        config = base.model_copy(update={"time_step": step})
        slow, fast = mean_gap(config, config.labels[1]), mean_gap(config, config.labels[0])
        expected = (0.5 + step) / 0.5
        assert abs(slow / fast - expected) < 0.2 * expected


def test_deep_and_all_leaves_reach_the_nodes_they_name() -> None:
    deep = generate(SMALL.model_copy(update={"shortcut": "deep", "deep_depth": 2}))["train"]
    assert all(((s.features[:, 1] != 0) == (s.depth > 2)).all() for s in deep)
    star = generate(SMALL.model_copy(update={"shortcut": "all_leaves", "shape": "star"}))["train"]
    assert _mean(star, lambda s: float(((s.features[:, 1] != 0) & (s.depth == 1)).sum() > 0)) > 0.9


def test_classes_have_their_own_words_and_codes() -> None:
    config = SMALL.model_copy(update={"num_classes": 4, "text_noise": 0.0})
    samples = generate(config)["train"]
    assert {s.label for s in samples} == set(CLASS_LABELS[4])
    for s in samples[:40]:
        assert any(w in s.text for w in WORDS[s.label])
    root = {
        label: np.mean([s.features[0, 0] for s in samples if s.label == label]) for label in CLASS_LABELS[4]
    }
    assert root["negative"] < root["positive"] < root["neutral"] < root["mixed"]


def test_a_world_too_large_to_draw_is_refused_before_anything_is_drawn() -> None:
    import pytest

    from priorkit.config import load_config
    from priorkit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"expected a world of at most 268,435,456 node feature values"):
        load_config(SynthConfig, {"num_features": 10**8, "n_train": 2, "n_val": 2, "n_test": 2})
    load_config(SynthConfig, {"max_nodes": 1000})  # 1,350 samples x 1,000 nodes x 4 features: fine


def test_generate_takes_a_mapping_of_the_config_and_names_anything_else() -> None:
    from priorkit.errors import ConfigError

    fields = {"n_train": 6, "n_val": 2, "n_test": 2, "seed": 4}
    by_mapping, by_config = generate(fields), generate(SynthConfig(**fields))
    assert {k: [s.id for s in v] for k, v in by_mapping.items()} == {
        k: [s.id for s in v] for k, v in by_config.items()
    }
    assert [s.text for s in by_mapping["train"]] == [s.text for s in by_config["train"]]
    with pytest.raises(ConfigError, match=r"SynthConfig: `n_trian`: unknown key"):
        generate({"n_trian": 5})
    with pytest.raises(
        ConfigError, match=r"config: expected a pk\.SynthConfig or a mapping of its fields \(got int\)"
    ):
        generate(5)  # type: ignore[arg-type]
