"""A picture of what a model read in one tree: an SVG drawn by hand (no script, no network),
nodes coloured by readout attention and sized by node reliance, the root marked, and the
text and graph shares beside the text; one self-contained HTML page per sample.

Every piece of text that comes from data (sample text, node ids, node texts, labels) is
escaped: a ``<script>`` in a tweet is shown as text.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

SPACING = 34.0  # horizontal distance of neighbouring leaves, px (shrunk for wide trees)
LEVEL = 70.0  # vertical distance of depths, px
MAX_WIDTH = 1100.0
RADIUS = (5.0, 16.0)  # smallest and largest node radius, px
LIGHT, DARK = (255, 245, 235), (127, 39, 4)  # the colour scale of attention, low to high


@dataclass(frozen=True)
class TreeView:
    """What one picture shows.

    Args:
        sample_id, text: the sample; label: the predicted label; probabilities: by label.
        node_ids, node_texts: per node (a node text may be None); parent_index: (n,), the root
            its own parent; depth: (n,).
        attention: (n,) readout attention (sums to 1); reliance: (n,) drop of the predicted
            class's probability when the node's own content is blanked, or None (not measured).
        shares: the fusion's ``{"text", "graph"}`` weights, or None for a fusion without.
    """

    sample_id: str
    text: str
    label: str
    probabilities: dict[str, float]
    node_ids: list[str]
    node_texts: list[str | None]
    parent_index: np.ndarray
    depth: np.ndarray
    attention: np.ndarray
    reliance: np.ndarray | None
    shares: dict[str, float] | None


def layout(parent_index: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """x of every node, in leaf slots: leaves in depth-first order take 0, 1, 2, ...; a parent
    sits midway between its first and last child.

    Shapes:
        parent_index, depth: (n,) -> (n,) float.
    """
    n = len(parent_index)
    children: list[list[int]] = [[] for _ in range(n)]
    for node, parent in enumerate(parent_index.tolist()):
        if parent != node:
            children[parent].append(node)
    x = np.zeros(n)
    next_slot = 0.0
    for node in _post_order(children, int(np.flatnonzero(parent_index == np.arange(n))[0])):
        if children[node]:
            x[node] = (x[children[node][0]] + x[children[node][-1]]) / 2
        else:
            x[node], next_slot = next_slot, next_slot + 1
    return x


def _post_order(children: list[list[int]], root: int) -> list[int]:
    """Children before parents, depth first, without recursion (trees may be deep)."""
    order, stack = [], [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(children[node]))
    return order


def colour(share: float) -> str:
    """The attention colour of ``share`` in [0, 1] (light to dark)."""
    t = min(max(share, 0.0), 1.0)
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(LIGHT, DARK, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def tree_svg(view: TreeView) -> str:
    """The tree as an inline SVG: one ``<circle class="node">`` per node (with a tooltip), the
    root ringed, the edges parent -> child."""
    slots = layout(view.parent_index, view.depth)
    spacing = min(SPACING, (MAX_WIDTH - 60) / max(float(slots.max()), 1.0))
    xs = 30 + slots * spacing
    ys = 30 + view.depth.astype(float) * LEVEL
    width, height = float(xs.max()) + 30, float(ys.max()) + 30
    top_attention = float(view.attention.max()) or 1.0
    radii = _radii(view.reliance, len(view.node_ids))
    root = int(np.flatnonzero(view.parent_index == np.arange(len(view.parent_index)))[0])
    edges = [
        f'<line x1="{xs[p]:.1f}" y1="{ys[p]:.1f}" x2="{xs[k]:.1f}" y2="{ys[k]:.1f}"/>'
        for k, p in enumerate(view.parent_index.tolist())
        if p != k
    ]
    nodes = [
        _node(view, k, xs[k], ys[k], radii[k], colour(float(view.attention[k]) / top_attention), k == root)
        for k in range(len(view.node_ids))
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tree" data-nodes="{len(nodes)}" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        'role="img" aria-label="the sample\'s tree">'
        f'<g class="edges" stroke="#9a9a9a" stroke-width="1">{"".join(edges)}</g>'
        f'<g class="nodes">{"".join(nodes)}</g></svg>'
    )


def _radii(reliance: np.ndarray | None, n: int) -> np.ndarray:
    if reliance is None:
        return np.full(n, (RADIUS[0] + RADIUS[1]) / 3)
    effect = np.clip(reliance.astype(float), 0.0, None)
    top = float(effect.max())
    scaled = np.sqrt(effect / top) if top > 0 else np.zeros(n)
    return RADIUS[0] + (RADIUS[1] - RADIUS[0]) * scaled


def _node(view: TreeView, k: int, x: float, y: float, r: float, fill: str, root: bool) -> str:
    reliance = "not measured" if view.reliance is None else f"{float(view.reliance[k]):+.3f}"
    said = view.node_texts[k]
    tip = (
        f"{'root ' if root else ''}node {view.node_ids[k]} (depth {int(view.depth[k])}): attention "
        f"{float(view.attention[k]):.3f}, reliance {reliance}" + (f"\n{said}" if said else "")
    )
    ring = (
        f'<circle class="root-mark" cx="{x:.1f}" cy="{y:.1f}" r="{r + 4:.1f}" fill="none" '
        'stroke="#1f4e8c" stroke-width="2.5"/>'
        if root
        else ""
    )
    return (
        f'{ring}<circle class="node" data-id="{html.escape(view.node_ids[k])}" cx="{x:.1f}" '
        f'cy="{y:.1f}" r="{r:.1f}" fill="{fill}" stroke="#555" stroke-width="0.8">'
        f"<title>{html.escape(tip)}</title></circle>"
    )


def legend(view: TreeView) -> str:
    """The scales: attention colour (0 to the sample's largest), reliance size, the root mark."""
    top = float(view.attention.max())
    stops = "".join(f'<span style="background:{colour(t / 4)}"></span>' for t in range(5))
    size = (
        "node size: reliance, the drop of the predicted class's probability when the node's own "
        "content is blanked (largest here: "
        f"{float(np.clip(view.reliance, 0, None).max()):.3f})"
        if view.reliance is not None
        else "node size: reliance not measured"
    )
    return (
        '<div class="legend">'
        f'<div class="scale">attention 0 {stops} {top:.3f}</div>'
        f"<div>{html.escape(size)}</div>"
        '<div><span class="ring"></span> the root (the author)</div></div>'
    )


def shares_text(shares: dict[str, float] | None) -> str:
    """``text 0.81 · graph 0.19`` as HTML, or a note for a fusion without weights."""
    if shares is None:
        return '<p class="shares">this fusion has no modality weights</p>'
    bars = "".join(
        f'<span class="share"><b>{html.escape(m)}</b> {v:.2f}'
        f'<i style="width:{max(v, 0.0) * 120:.0f}px"></i></span>'
        for m, v in shares.items()
    )
    return f'<p class="shares">fusion weights: {bars}</p>'


_STYLE = (
    "<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}"
    ".text{background:#f6f6f6;padding:.6em .8em;border-radius:4px;white-space:pre-wrap}"
    ".legend{display:flex;gap:2em;flex-wrap:wrap;font-size:.9em;margin:.6em 0}"
    ".scale span{display:inline-block;width:18px;height:12px;border:1px solid #ccc}"
    ".ring{display:inline-block;width:12px;height:12px;border:2.5px solid #1f4e8c;border-radius:50%}"
    ".share{margin-right:1.5em}.share i{display:inline-block;height:10px;background:#1f4e8c;"
    "margin-left:.4em;vertical-align:middle}table{border-collapse:collapse}"
    "td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}</style>"
)


def explanation_html(view: TreeView) -> str:
    """One self-contained page for the sample: its text, the prediction, the modality shares,
    the legend and the tree."""
    rows = "".join(
        f"<tr><td>{html.escape(str(label))}</td><td>{p:.3f}</td></tr>"
        for label, p in sorted(view.probabilities.items(), key=lambda item: -item[1])
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>priorkit: sample {html.escape(view.sample_id)}</title>{_STYLE}</head><body>"
        f"{explanation_section(view)}"
        f"<table><tr><th>label</th><th>probability</th></tr>{rows}</table></body></html>"
    )


def explanation_section(view: TreeView, heading: str = "h1") -> str:
    """The page's body without the probability table, to embed in another page (a report)."""
    return (
        f'<section class="explanation"><{heading}>sample {html.escape(view.sample_id)}: predicted '
        f"{html.escape(str(view.label))} ({max(view.probabilities.values(), default=math.nan):.2f})"
        f'</{heading}><p class="text">{html.escape(view.text)}</p>{shares_text(view.shares)}'
        f"{legend(view)}{tree_svg(view)}</section>"
    )
