"""The tree picture: a layout without crossings or recursion, one circle per node, the root
marked, colours and sizes on their scales, every text from the data escaped."""

from __future__ import annotations

import re

import numpy as np

from priorkit.analysis.tree_view import DARK, LIGHT, TreeView, colour, explanation_html, layout, tree_svg


def view(parent_index: list[int], text: str = "a text", node_text: str | None = None) -> TreeView:
    parents = np.asarray(parent_index)
    depth = np.zeros(len(parents), dtype=np.int64)
    for k in range(len(parents)):  # parents come first in these trees
        depth[k] = 0 if parents[k] == k else depth[parents[k]] + 1
    n = len(parents)
    return TreeView(
        sample_id="s<1>",
        text=text,
        label="<b>yes</b>",
        probabilities={"<b>yes</b>": 0.7, "no": 0.3},
        node_ids=[f"n{k}" for k in range(n)],
        node_texts=[node_text] * n,
        parent_index=parents,
        depth=depth,
        attention=np.full(n, 1.0 / n),
        reliance=np.linspace(-0.1, 0.2, n),
        shares={"text": 0.8, "graph": 0.2},
    )


def test_leaves_take_slots_in_order_and_a_parent_sits_between_its_children() -> None:
    x = layout(np.array([0, 0, 0, 1, 1]), np.array([0, 1, 1, 2, 2]))
    assert x.tolist() == [1.25, 0.5, 2.0, 0.0, 1.0]


def test_a_chain_of_ten_thousand_nodes_is_laid_out_without_recursion() -> None:
    n = 10_000
    x = layout(np.concatenate([[0], np.arange(n - 1)]), np.arange(n))
    assert np.all(x == 0.0)


def test_one_circle_per_node_the_root_ringed_and_the_scales_at_their_ends() -> None:
    tree = view([0, 0, 0, 1, 1, 1, 2])
    svg = tree_svg(tree)
    assert len(re.findall(r'<circle class="node"', svg)) == 7 and 'data-nodes="7"' in svg
    assert svg.count('class="root-mark"') == 1 and svg.count("<line ") == 6
    radii = [float(r) for r in re.findall(r'class="node"[^>]* r="([\d.]+)"', svg)]
    assert radii[0] == 5.0 and radii[-1] == 16.0  # reliance -0.1 (clipped to 0) and the largest
    assert colour(0.0) == "#{:02x}{:02x}{:02x}".format(*LIGHT) and colour(
        1.0
    ) == "#{:02x}{:02x}{:02x}".format(*DARK)


def test_every_text_from_the_data_is_escaped() -> None:
    page = explanation_html(
        view([0, 0], text="<script>alert(1)</script>", node_text="<img src=x onerror=alert(2)>")
    )
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>yes</b>" not in page and "&lt;b&gt;yes&lt;/b&gt;" in page and "sample s&lt;1&gt;" in page
    assert 'class="legend"' in page and "attention 0" in page and "the root (the author)" in page
