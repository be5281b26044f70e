"""The report of a real (tiny) study, opened in a real headless browser."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from priorkit.ablation import run_study
from priorkit.ablation.report import write_report
from priorkit.cli import main
from priorkit.data.jsonl import read_jsonl
from priorkit.errors import PriorkitError
from tests.conftest import rendered_dom


@pytest.fixture
def study(study_file: Path, tmp_path: Path) -> Path:
    spec = yaml.safe_load(study_file.read_text())
    spec["sweeps"] = [{"arm": "decay", "prior": "depth_decay", "arg": "decay", "values": [0.0, 4.0]}]
    spec["seeds"] = [0]
    study_file.write_text(yaml.safe_dump(spec))
    out = tmp_path / "study"
    run_study(study_file, out, progress=False)
    return out


def test_report_files_plots_and_tables(study: Path, small_data: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["report", str(study)]) == 0
    assert "report:" in capsys.readouterr().out
    plots = sorted(p.name for p in (study / "plots").glob("*.png"))
    name = small_data.name
    kinds = ["accuracy", "depth", "reliance", "sweep_depth_decay_decay"]
    assert plots == [f"{name}_{kind}.png" for kind in kinds]
    page = (study / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4 and 'src="plots/' not in page  # self-contained
    assert "decay@decay=4.0" in page and "test_ood.accuracy" in page
    summary = (study / "summary.md").read_text()
    assert "| decay@decay=0.0 |" in summary and "| decay | depth_decay.root_mass |" not in summary
    assert "| decay | test: depth_decay.root_mass |" in summary


def test_the_report_draws_the_same_samples_as_every_arm_read_them(study: Path, small_data: Path) -> None:
    page = write_report(study).read_text()
    explanations = page.split("<h2>Explanations</h2>", 1)[1]
    samples = re.findall(r'<div class="sample"><p><b>sample ([^<]+)</b>', explanations)
    first_three = [s.id for s in read_jsonl(small_data / "test_ood.jsonl")][:3]  # the study's evaluate file
    assert samples == first_three
    arms = ["baseline", "decay", "decay@decay=0.0", "decay@decay=4.0"]
    for block in explanations.split('<div class="sample">')[1:]:
        assert re.findall(r"<figcaption><b>([^<]+)</b>", block) == arms
        assert len(set(re.findall(r'data-nodes="(\d+)"', block))) == 1  # one tree, drawn four times


def test_the_page_loads_without_errors_and_its_images_render(study: Path) -> None:
    dom = rendered_dom(write_report(study))
    rendered = re.search(r'data-images-rendered="(\d+)/(\d+)"', dom)
    assert rendered is not None, "the page's load handler did not run"
    assert rendered.group(1) == rendered.group(2) == "4"
    assert "data-errors" not in dom


def test_report_needs_a_study_folder(tmp_path: Path) -> None:
    with pytest.raises(PriorkitError, match=r"expected a study folder with results\.csv"):
        write_report(tmp_path)


def test_report_on_an_empty_results_file_says_how_to_fix(tmp_path: Path) -> None:
    (tmp_path / "results.csv").write_text("")
    with pytest.raises(
        PriorkitError, match=r"results.csv: expected one row per trial .* Run `priorkit ablate"
    ):
        write_report(tmp_path)


@pytest.mark.parametrize(
    ("csv", "problem"),
    [
        (
            'dataset,arm,seed,status,test.accuracy\nd,a,0,done,"0,9"\n',
            r"results.csv:2: column test.accuracy: expected a number \(got '0,9'\)",
        ),
        ("dataset,arm,seed,status\nd,a,,done\n", r"results.csv:2: column seed: expected a number"),
        (
            "arm,seed,status\na,0,done\n",
            r"columns dataset, arm, seed, status \(got an empty or foreign file, without dataset\)",
        ),
        (
            "dataset,arm,seed,status\nd,a,0,done\nd,a,1,done,x,y,z\n",
            r"results.csv: expected the table priorkit ablate writes \(got ParserError",
        ),
        (
            "dataset,arm,seed,status\nd,,0,done\n",
            r"results.csv:2: column arm: expected a value \(got an empty cell\)",
        ),
        (
            b"\xff\xfedataset",
            r"results.csv: expected the table priorkit ablate writes \(got UnicodeDecodeError",
        ),
    ],
)
def test_a_results_table_edited_by_hand_is_named_by_row_and_column(
    tmp_path: Path, csv: str | bytes, problem: str
) -> None:
    file = tmp_path / "results.csv"
    file.write_bytes(csv if isinstance(csv, bytes) else csv.encode())
    with pytest.raises(PriorkitError, match=problem):
        write_report(tmp_path)


@pytest.mark.parametrize(
    ("text", "got"),
    [
        ('{"study": ', "JSONDecodeError"),
        ("[1, 2]", "list"),
        ('{"study": {"baseline": 5}}', "baseline 5, not an arm's name"),
        ('{"study": {"folds": {"kind": "bogus"}}}', "folds that are not a split: "),
    ],
)
def test_a_damaged_study_json_is_named(tmp_path: Path, text: str, got: str) -> None:
    (tmp_path / "results.csv").write_text("dataset,arm,seed,status\nd,a,0,pending\n")
    (tmp_path / "study.json").write_text(text)
    with pytest.raises(
        PriorkitError, match=rf"study.json: expected the study.json priorkit ablate writes \(got {got}"
    ):
        write_report(tmp_path)


@pytest.mark.parametrize("name", ["1", "NA", "None"])
def test_a_baseline_named_like_a_number_or_a_missing_value_keeps_every_comparison(
    study: Path, name: str
) -> None:
    write_report(study)
    numbers = re.findall(r"[-+]?\d+\.\d+", (study / "summary.md").read_text())
    table = study / "results.csv"
    rows = [line.split(",") for line in table.read_text().splitlines()]
    table.write_text(
        "\n".join(",".join([*r[:1], name if r[1] == "baseline" else r[1], *r[2:]]) for r in rows) + "\n"
    )
    saved = json.loads((study / "study.json").read_text())
    spec = ast.literal_eval(saved["study"]) if isinstance(saved["study"], str) else saved["study"]
    spec["arms"][name] = spec["arms"].pop("baseline")
    spec["baseline"] = name
    saved["study"] = spec if isinstance(saved["study"], dict) else repr(spec)
    (study / "study.json").write_text(json.dumps(saved))
    write_report(study)
    summary = (study / "summary.md").read_text()
    assert f"`{name}`" in summary and re.findall(r"[-+]?\d+\.\d+", summary) == numbers


def test_names_with_dollars_are_drawn_as_written(study: Path) -> None:
    table = study / "results.csv"
    table.write_text(table.read_text().replace(",decay,", ",de$cay$ $x,"))  # mathtext would choke on it
    assert write_report(study).is_file()
    assert "de$cay$ $x" in (study / "report.html").read_text()
