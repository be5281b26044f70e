import math

import pandas as pd
import pytest

from priorkit.ablation.summary import interval, markdown, paired, summarise, write_summary


def table() -> pd.DataFrame:
    rows = []
    for seed, (base, prior) in enumerate([(0.50, 0.80), (0.60, 0.85), (0.55, 0.90)]):
        rows.append({"dataset": "d", "arm": "baseline", "seed": seed, "fold": "fixed", "test.accuracy": base})
        rows.append({"dataset": "d", "arm": "gate", "seed": seed, "fold": "fixed", "test.accuracy": prior})
    return pd.DataFrame(rows)


def test_mean_std_and_interval_by_hand() -> None:
    summary = summarise(table(), "baseline")
    gate = summary[(summary.arm == "gate") & (summary.metric == "test.accuracy")].iloc[0]
    assert gate["n"] == 3 and gate["mean"] == pytest.approx(0.85) and gate["std"] == pytest.approx(0.05)
    half = 4.302652729911275 * 0.05 / math.sqrt(3)  # t(0.975, 2) * s / sqrt(n)
    assert (gate["ci_low"], gate["ci_high"]) == (pytest.approx(0.85 - half), pytest.approx(0.85 + half))


def test_paired_comparison_by_hand() -> None:
    summary = summarise(table(), "baseline")
    gate = summary[(summary.arm == "gate") & (summary.metric == "test.accuracy")].iloc[0]
    diffs = [0.30, 0.25, 0.35]  # gate - baseline, seed by seed
    mean, sd = 0.30, 0.05
    t = mean / (sd / math.sqrt(3))  # 10.392
    assert gate["pairs"] == 3 and gate["delta"] == pytest.approx(sum(diffs) / 3)
    assert gate["effect_size"] == pytest.approx(mean / sd)
    assert gate["p_value"] == pytest.approx(2 * (1 - 0.9954356), abs=2e-4)  # two-sided, t=10.39 with 2 df
    assert t == pytest.approx(10.392, abs=1e-3)
    baseline = summary[summary.arm == "baseline"].iloc[0]
    assert pd.isna(baseline.get("delta"))


def test_pairs_match_on_seed_and_fold_only() -> None:
    arm = pd.DataFrame({"seed": [0, 1, 2], "fold": [0, 0, 0], "m": [1.0, 2.0, 3.0]})
    base = pd.DataFrame({"seed": [2, 0], "fold": [0, 0], "m": [1.0, 1.0]})
    pairs, delta, _, _ = paired(arm, base, "m")
    assert pairs == 2 and delta == pytest.approx(((1 - 1) + (3 - 1)) / 2)


def test_interval_needs_two_values_and_markdown_states_the_test() -> None:
    assert all(math.isnan(v) for v in interval(pd.Series([0.5]).to_numpy()))
    text = markdown(summarise(table(), "baseline"), "baseline")
    assert "paired t-test over matched (seed, fold) pairs" in text
    assert "Runs per arm: baseline 3, gate 3" in text
    assert "| gate | 0.850 +- 0.050 [" in text and "+0.300 (p=" in text


def test_a_study_of_the_baseline_alone_prints_no_empty_comparison() -> None:
    alone = table()[lambda t: t.arm == "baseline"]
    text = markdown(summarise(alone, "baseline"), "baseline")
    assert "| baseline | 0.550 +- 0.050 [" in text
    assert "Against `baseline`" not in text
    assert "Against `baseline`" in markdown(summarise(table(), "baseline"), "baseline")


def test_names_from_the_study_stay_text_in_every_markdown_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    hostile = "=cmd|' /C calc'!A0 <script>alert(1)</script>\nnext"
    rows = table().replace({"gate": hostile, "d": "data|set"})
    rows["status"] = "done"
    failed = rows.iloc[:1].assign(arm="x|y", status="failed", error="boom | <b>\nline two")
    write_summary(summarise(rows, "baseline"), tmp_path / "summary.md", pd.concat([rows, failed]))
    text = (tmp_path / "summary.md").read_text()
    assert "<script>" not in text and "## data\\|set" in text
    for line in text.splitlines():
        if line.startswith("| =cmd"):
            cells = line.replace("\\|", "").split("|")
            assert len(cells) == len(line.split("|")) - 1 and "&lt;script&gt;" in line and "next" in line
    assert "- data\\|set/x\\|y/seed0/fold fixed: boom \\| &lt;b&gt; line two" in text


def test_summarise_names_what_is_not_a_results_table() -> None:
    from priorkit.errors import ConfigError

    with pytest.raises(
        ConfigError, match=r"table: expected the results table, a pandas DataFrame .*got str\)"
    ):
        summarise("runs/study/results.csv", "baseline")  # type: ignore[arg-type]
