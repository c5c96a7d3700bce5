"""Per-kernel time totals of an Nsight Compute run, from its raw CSV page:

    ncu --metrics gpu__time_duration.sum --graph-profiling node -f -o prof <command>
    ncu -i prof.ncu-rep --csv --page raw --metrics gpu__time_duration.sum | gzip > ncu-raw.csv.gz
    python3 tools/ncu_summary.py ncu-raw.csv.gz [top]

Prints, per (kernel, grid), the launches, total and mean time, largest total first. ncu runs each
kernel alone (no overlap, graphs replayed node by node), so the totals rank costs; they are not a
timeline."""
import collections
import csv
import gzip
import sys

path = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
opener = gzip.open if path.endswith(".gz") else open
with opener(path, "rt") as f:
    rows = list(csv.reader(f))
head, data = rows[0], rows[2:]  # the second row holds the units
name, grid, t = head.index("Kernel Name"), head.index("Grid Size"), head.index("gpu__time_duration.sum")
total = collections.defaultdict(lambda: [0, 0.0])
for r in data:
    key = (r[name], r[grid])
    total[key][0] += 1
    total[key][1] += float(r[t])
print(f"{'total ms':>9} {'launches':>8} {'mean us':>9}  kernel grid")
for (k, g), (n, ms) in sorted(total.items(), key=lambda kv: -kv[1][1])[:top]:
    print(f"{ms:9.3f} {n:8d} {ms / n * 1000:9.1f}  {k} {g}")
print(f"{sum(v[1] for v in total.values()):9.3f} ms in {sum(v[0] for v in total.values())} launches")
