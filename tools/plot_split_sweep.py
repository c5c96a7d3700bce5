"""Draws the split-size sweep of a GPU run (GpuAttentionBench sweep, attention-sweep.log) as a
plain SVG: for each case, the best split's time over each split's time (1.0 = the best split for
that case), so one picture shows what each fixed_split_size costs where. No dependencies.
Usage: python3 tools/plot_split_sweep.py RUN_DIR/attention-sweep.log OUT.svg "title" """
import re
import sys

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
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
       f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>']
step = pw / (len(policies) - 1)
for t in range(6):
    v = t * 0.2
    y = top + ph - v * ph
    svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>')
    svg.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>')
for i, p in enumerate(policies):
    svg.append(f'<text x="{left + i * step:.1f}" y="{top + ph + 16}" text-anchor="middle">{p}</text>')
svg.append(f'<text x="{left + pw / 2}" y="{top + ph + 40}" text-anchor="middle">split policy (best time / time)</text>')
for c, case in enumerate(cases):
    best = min(times[case].values())
    pts = [f"{left + i * step:.1f},{top + ph - best / times[case][p] * ph:.1f}"
           for i, p in enumerate(policies) if p in times[case]]
    color = colors[c % len(colors)]
    svg.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(pts)}"/>')
    svg.append(f'<rect x="{left + pw + 20}" y="{top + c * 18}" width="12" height="12" fill="{color}"/>')
    svg.append(f'<text x="{left + pw + 36}" y="{top + c * 18 + 10}">{case}</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg))
