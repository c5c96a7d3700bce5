"""Draws docs/gemm-efficiency.svg and prints a markdown table from a GPU run's GEMM logs
(GpuGemmBench and gemm_bench.py): our invariant GEMM's time as a fraction of cuBLAS's
(cuBLAS time / ours; 1.0 = as fast) against M, one line per bf16 shape. Plain SVG, no
dependencies.  Usage: python3 tools/plot_gemm.py RUN_DIR OUT.svg"""
import math
import re
import sys

from svgplot import document, line_series, value_grid

run, out = sys.argv[1], sys.argv[2]


def read(path):
    d = {}
    for line in open(path):
        m = re.match(r"(bfloat16|float32)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", line)
        if m:
            d[(m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)))] = (float(m.group(5)), float(m.group(6)))
    return d


ours, cublas = read(f"{run}/gemm-ours.log"), read(f"{run}/gemm-cublas.log")
print("| dtype | N | K | M | ours µs | ours TFLOP/s | cuBLAS µs | cuBLAS TFLOP/s | ours / cuBLAS |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for key in sorted(ours, key=lambda k: (k[0], k[2], k[3], k[1])):
    if key in cublas:
        (t, f), (tc, fc) = ours[key], cublas[key]
        print(f"| {key[0]} | {key[2]} | {key[3]} | {key[1]} | {t:.1f} | {f:.1f} | {tc:.1f} | {fc:.1f} | {tc / t:.2f} |")
shapes = sorted({(k[2], k[3]) for k in ours if k[0] == "bfloat16"})
ms = sorted({k[1] for k in ours})
W, H, left, bottom, top = 900, 420, 60, 70, 40
pw, ph = W - left - 180, H - bottom - top
colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
svg = document(W, H, "Invariant GEMM (Hopper family) vs cuBLAS, bf16, H100 (2026-11-25): cuBLAS time / ours")


def x_of(m):
    return left + pw * math.log(m) / math.log(ms[-1])


value_grid(svg, left, left + pw, top, ph, [t * 0.2 for t in range(6)])
for m in ms:
    svg.append(f'<text x="{x_of(m):.1f}" y="{top + ph + 16}" text-anchor="middle">{m}</text>')
svg.append(f'<text x="{left + pw / 2}" y="{top + ph + 36}" text-anchor="middle">M (rows)</text>')
y8 = top + ph - 0.8 * ph
svg.append(f'<line x1="{left}" y1="{y8:.1f}" x2="{left + pw}" y2="{y8:.1f}" stroke="#2ca02c" stroke-dasharray="4 3"/>')
svg.append(f'<text x="{left + pw - 2}" y="{y8 - 4:.1f}" text-anchor="end" fill="#2ca02c">target 0.8 (M ≥ 1024)</text>')
for i, (n, k) in enumerate(shapes):
    pts = []
    for m in ms:
        key = ("bfloat16", m, n, k)
        if key in ours and key in cublas:
            r = min(1.0, cublas[key][0] / ours[key][0])
            pts.append(f"{x_of(m):.1f},{top + ph - r * ph:.1f}")
    line_series(svg, colors[i % len(colors)], pts, left + pw + 16, top + i * 18, f"N={n} K={k}")
svg.append("</svg>")
open(out, "w").write("\n".join(svg))
