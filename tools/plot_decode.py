"""Draws docs/decode-bandwidth.svg from a GPU run's logs (GpuAttentionBench and sdpa_bench.py):
KV read bandwidth of decode, BatchInvariant (FIXED and AUTO split) vs PyTorch SDPA (flash, cuDNN).
Plain SVG, no dependencies.  Usage: python3 tools/plot_decode.py RUN_DIR OUT.svg"""
import re
import sys

run, out = sys.argv[1], sys.argv[2]
series = {"BatchInvariant FIXED(1024)": {}, "BatchInvariant AUTO": {}, "SDPA flash": {}, "SDPA cuDNN": {}}
for line in open(f"{run}/gpu-attention-bench.log"):
    m = re.match(r"(decode B\d+ L\d+)\s+(FIXED\(\d+\)|AUTO)\s+\d+\s+[\d.]+\s+([\d.]+)", line)
    if m:
        key = "BatchInvariant " + ("AUTO" if m.group(2) == "AUTO" else "FIXED(1024)")
        series[key][m.group(1)] = float(m.group(3))
for line in open(f"{run}/pytorch-sdpa.log"):
    m = re.match(r"(decode B\d+ L\d+)\s+(FLASH_ATTENTION|CUDNN_ATTENTION)\s+[\d.]+ us\s+([\d.]+) TB/s", line)
    if m:
        series["SDPA flash" if m.group(2).startswith("FLASH") else "SDPA cuDNN"][m.group(1)] = float(m.group(3))
cases = [c for c in series["BatchInvariant FIXED(1024)"]]
colors = ["#1f77b4", "#9ecae1", "#d62728", "#ff9896"]
W, H, left, bottom, top = 960, 420, 60, 90, 40
plot_w, plot_h = W - left - 20, H - bottom - top
ymax = 3.5
group_w = plot_w / len(cases)
bar_w = group_w * 0.8 / len(series)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
       f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">Decode KV read bandwidth, H100, bf16, GQA 32/8, d128, page 16 (2026-11-25)</text>']
for t in range(0, 8):
    v = t * 0.5
    y = top + plot_h - v / ymax * plot_h
    svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{W - 20}" y2="{y:.1f}" stroke="#ddd"/>')
    svg.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>')
svg.append(f'<text x="16" y="{top + plot_h / 2}" transform="rotate(-90 16 {top + plot_h / 2})" text-anchor="middle">TB/s</text>')
y25 = top + plot_h - 2.5 / ymax * plot_h
svg.append(f'<line x1="{left}" y1="{y25:.1f}" x2="{W - 20}" y2="{y25:.1f}" stroke="#2ca02c" stroke-dasharray="4 3"/>')
svg.append(f'<text x="{W - 22}" y="{y25 - 4:.1f}" text-anchor="end" fill="#2ca02c">target 2.5 TB/s</text>')
for i, c in enumerate(cases):
    x0 = left + i * group_w + group_w * 0.1
    for j, (name, vals) in enumerate(series.items()):
        v = vals.get(c)
        if v is None:
            continue
        h = v / ymax * plot_h
        svg.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{colors[j]}"/>')
    svg.append(f'<text x="{x0 + group_w * 0.4:.1f}" y="{top + plot_h + 14}" text-anchor="end" '
               f'transform="rotate(-35 {x0 + group_w * 0.4:.1f} {top + plot_h + 14})">{c[7:]}</text>')
for j, name in enumerate(series):
    svg.append(f'<rect x="{left + j * 210}" y="{H - 18}" width="12" height="12" fill="{colors[j]}"/>')
    svg.append(f'<text x="{left + j * 210 + 16}" y="{H - 8}">{name}</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg))
print("wrote", out, len(cases), "cases")
