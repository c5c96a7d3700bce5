"""Draws the split-size sweep of a GPU run (GpuAttentionBench sweep, attention-sweep.log) as a
plain SVG: for each case, the best split's time over each split's time (1.0 = the best split for
that case), so one picture shows what each fixed_split_size costs where. No dependencies.
Usage: python3 tools/plot_split_sweep.py RUN_DIR/attention-sweep.log OUT.svg "title" """
import re
import sys

from svgplot import document, line_series, value_grid

log, out, title = sys.argv[1], sys.argv[2], sys.argv[3]
policies = ["FIXED(256)", "FIXED(512)", "FIXED(1024)", "FIXED(2048)", "DISABLED"]
times = {}
for line in open(log):
    m = re.match(r"(decode B\d+ L\d+|prefill B\d+ L\d+ causal)\s+(\S+)\s+\d+\s+([\d.]+)", line)
    if m:
        times.setdefault(m.group(1), {})[m.group(2)] = float(m.group(3))
cases = list(times)
W, H, left, bottom, top, legend = 860, 400, 60, 60, 40, 200
pw, ph = W - left - legend, H - bottom - top
colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
svg = document(W, H, title)
step = pw / (len(policies) - 1)
value_grid(svg, left, left + pw, top, ph, [t * 0.2 for t in range(6)])
for i, p in enumerate(policies):
    svg.append(f'<text x="{left + i * step:.1f}" y="{top + ph + 16}" text-anchor="middle">{p}</text>')
svg.append(f'<text x="{left + pw / 2}" y="{top + ph + 40}" text-anchor="middle">split policy (best time / time)</text>')
for c, case in enumerate(cases):
    best = min(times[case].values())
    pts = [f"{left + i * step:.1f},{top + ph - best / times[case][p] * ph:.1f}"
           for i, p in enumerate(policies) if p in times[case]]
    line_series(svg, colors[c % len(colors)], pts, left + pw + 20, top + c * 18, case)
svg.append("</svg>")
open(out, "w").write("\n".join(svg))
