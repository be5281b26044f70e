"""pk.explain and priorkit predict --html: one self-contained page per sample that a real
browser draws with one circle per node, the legend, and a script in a text shown as text."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import priorkit as pk
from priorkit.analysis.node_occlusion import node_occlusion
from priorkit.api.prediction import sample_graphs
from priorkit.cli import main
from priorkit.data.jsonl import write_jsonl
from tests.conftest import rendered_dom

HOSTILE = "<script>document.body.setAttribute('data-pwned', '1')</script> the pasta & <b>cold</b>"


@pytest.fixture(scope="module")
def trained(decay_model: pk.TrainedModel) -> pk.TrainedModel:
    return decay_model


@pytest.fixture
def hostile(small_data: Path) -> pk.TreeSample:
    sample = pk.read_jsonl(small_data / "test_ood.jsonl")[0]
    sample.text = HOSTILE
    sample.node_text = ["<img src=x onerror=alert(1)>"] + [None] * (sample.num_nodes - 1)
    return sample


def test_one_sample_gives_one_explanation_with_attention_and_reliance_per_node(
    trained: pk.TrainedModel, hostile: pk.TreeSample
) -> None:
    explained = pk.explain(trained, hostile)
    view = explained.view
    assert view.sample_id == hostile.id and len(view.attention) == len(view.reliance) == hostile.num_nodes
    assert view.attention.sum() == pytest.approx(1.0, abs=1e-5) and np.isfinite(view.reliance).all()
    assert explained.prediction == pk.predict(trained, [hostile])[0]
    many = pk.explain(trained, [hostile, hostile], reliance=False)
    assert len(many) == 2 and many[0].view.reliance is None
    assert pk.explain(trained, []) == []  # none in, none out


def test_evaluating_on_no_samples_is_refused_in_one_line(trained: pk.TrainedModel) -> None:
    with pytest.raises(pk.ConfigError, match=r"data: expected samples to evaluate on \(got none\)"):
        pk.evaluate(trained, [], repeats=1)


@pytest.mark.parametrize("repeats", [0, 10**9, 2.5, True, "5"])
def test_a_repeat_count_outside_1_to_1000_is_refused_before_any_work(
    trained: pk.TrainedModel, repeats: object
) -> None:
    with pytest.raises(pk.ConfigError, match=r"repeats: expected an integer from 1 to 1000 \(got "):
        pk.evaluate(trained, [], repeats=repeats)  # type: ignore[arg-type]


def test_a_json_out_that_cannot_be_written_is_refused_before_the_evaluation(
    trained: pk.TrainedModel, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import priorkit.api.evaluation as evaluation

    monkeypatch.setattr(
        evaluation, "as_dataset", lambda *a: (_ for _ in ()).throw(AssertionError("evaluated"))
    )
    with pytest.raises(pk.ConfigError, match=r"json_out: expected a file path \(got int\)"):
        pk.evaluate(trained, [], json_out=123)  # type: ignore[arg-type]
    with pytest.raises(pk.PriorkitError, match=r"expected a file to write \(got a folder\)"):
        pk.evaluate(trained, [], json_out=tmp_path)


def test_a_numpy_repeat_count_is_an_integer(trained: pk.TrainedModel) -> None:
    import numpy as np

    with pytest.raises(pk.ConfigError, match=r"data: expected samples to evaluate on"):  # past the count
        pk.evaluate(trained, [], repeats=np.int64(3))  # type: ignore[arg-type]


def test_blanking_a_node_that_has_nothing_of_its_own_changes_nothing(
    trained: pk.TrainedModel, hostile: pk.TreeSample
) -> None:
    hostile.features[-1] = 0.0  # the last node: no features, no user, no text, no time of its own
    if hostile.user is not None:
        hostile.user[-1] = None
    if hostile.time is not None:
        hostile.time[-1] = np.nan
    hostile.node_text = None
    _, (graph,) = sample_graphs(trained, [hostile], "test")
    effect = node_occlusion(trained.model, graph)
    assert effect is not None and effect.shape == (hostile.num_nodes,)
    assert abs(float(effect[-1])) < 1e-6


def test_the_page_renders_in_a_browser_every_node_drawn_and_the_script_shown_as_text(
    trained: pk.TrainedModel, hostile: pk.TreeSample, tmp_path: Path
) -> None:
    page = pk.explain(trained, hostile).save(tmp_path / "page.html")
    dom = rendered_dom(page, budget_ms=3000)
    assert len(re.findall(r'<circle class="node"', dom)) == hostile.num_nodes
    assert dom.count('class="root-mark"') == 1 and 'class="legend"' in dom and "attention 0" in dom
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]  # the script did not run
    assert "&lt;script&gt;document.body.setAttribute" in dom  # it is shown, as text
    assert "<img" not in dom


def test_predict_html_writes_one_page_per_sample_and_an_index(
    trained: pk.TrainedModel, small_data: Path, tmp_path: Path
) -> None:
    samples = list(pk.read_jsonl(small_data / "test_ood.jsonl"))[:5]
    samples[0].id = "../../escape <me>"
    data = tmp_path / "new.jsonl"
    write_jsonl(samples, data)
    html_dir = tmp_path / "html"
    args = [
        "predict",
        str(trained.source),
        "--data",
        str(data),
        "--out",
        str(tmp_path / "p.jsonl"),
        "--quiet",
    ]
    taken = tmp_path / "taken.html"
    taken.write_text("mine")
    assert main([*args, "--html", str(taken)]) == 2  # refused before any prediction is written
    assert not (tmp_path / "p.jsonl").exists() and taken.read_text() == "mine"
    assert main([*args, "--html", str(html_dir)]) == 0
    pages = sorted(p.name for p in html_dir.glob("*.html"))
    assert len(pages) == 6 and "index.html" in pages and pages[0].startswith("000001-")
    assert all(p.parent == html_dir for p in html_dir.rglob("*.html"))  # nothing outside the folder
    index = (html_dir / "index.html").read_text()
    assert index.count("<li>") == 5 and "escape &lt;me&gt;" in index


@pytest.mark.parametrize("size", [0, "8", 2.0, True])
def test_a_batch_size_that_is_not_a_whole_number_is_refused_by_evaluate_and_predict(
    trained: pk.TrainedModel, size: object
) -> None:
    for call in (pk.evaluate, pk.predict):
        with pytest.raises(
            pk.ConfigError, match=r"batch_size: expected an integer >= 1, or None for the training one"
        ):
            call(trained, [], batch_size=size)  # type: ignore[operator]
