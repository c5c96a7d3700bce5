"""Draws a bar chart of RowOpsBenchmark results (JMH JSON) or OpSurvey output (.txt: an op and
this engine's ms, then PyTorch's where it ran): ms per call for each op, one bar per series, on a
log scale. Each series is LABEL=FILE[,FILE...]; a file's results for other engines are kept under
the engine's own name (so PyTorch's bars come from any file that has them). Plain SVG, no
dependencies.

Usage: python3 tools/plot_rowops.py OUT.svg TITLE ENGINE LABEL=FILE[,FILE] ...
  ENGINE: the engine whose results carry the series' label (the others keep their engine name)."""
import json
import math
import sys

from svgplot import document

out, title, engine = sys.argv[1], sys.argv[2], sys.argv[3]
series = {}
ops = []
for arg in sys.argv[4:]:
    label, files = arg.split("=", 1)
    for f in files.split(","):
        rows = []
        if f.endswith(".txt"):
            for line in open(f):
                cols = line.split()
                for eng, v in zip(["BatchInvariant", "PyTorch"], cols[1:]):
                    if v != "-":
                        rows.append({"params": {"op": cols[0], "engine": eng}, "primaryMetric": {"score": float(v)}})
        else:
            rows = json.load(open(f))
        for r in rows:
            p = r["params"]
            if p["op"].startswith("copy"):
                continue
            name = label if p["engine"] == engine else p["engine"]
            series.setdefault(name, {})[p["op"]] = r["primaryMetric"]["score"]
            if p["op"] not in ops:
                ops.append(p["op"])
names = [n for n in series if n != "PyTorch"] + (["PyTorch"] if "PyTorch" in series else [])
colors = ["#9ecae1", "#1f77b4", "#d62728", "#ff9896"]
W, H, left, bottom, top = 960, 420, 70, 70, 40
plot_w, plot_h = W - left - 20, H - bottom - top
values = [v for s in series.values() for v in s.values()]
lo, hi = min(0, math.floor(math.log10(min(values)))), math.ceil(math.log10(max(values)))
svg = document(W, H, title)
for e in range(lo, hi + 1):
    y = top + plot_h - (e - lo) / (hi - lo) * plot_h
    svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{W - 20}" y2="{y:.1f}" stroke="#ddd"/>')
    svg.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{10 ** e:g} ms</text>')
group_w = plot_w / len(ops)
bar_w = group_w * 0.8 / len(names)
for i, op in enumerate(ops):
    x0 = left + i * group_w + group_w * 0.1
    for j, n in enumerate(names):
        v = series[n].get(op)
        if v is None:
            continue
        h = (math.log10(max(v, 10 ** lo)) - lo) / (hi - lo) * plot_h
        x = x0 + j * bar_w
        svg.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                   f'fill="{colors[j % len(colors)]}"><title>{n} {op}: {v:.2f} ms</title></rect>')
    svg.append(f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{top + plot_h + 16}" '
               f'text-anchor="middle">{op}</text>')
for j, n in enumerate(names):
    lx = left + j * 230
    svg.append(f'<rect x="{lx}" y="{H - 28}" width="12" height="12" fill="{colors[j % len(colors)]}"/>')
    svg.append(f'<text x="{lx + 16}" y="{H - 18}">{n}</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg) + "\n")
