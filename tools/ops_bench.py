"""torch's RMS norm, layer norm, softmax and add on the shapes of GpuOpsBench, timed with CUDA
events over CUDA-graph replays (warm-up, median of 9 samples of 20 replays); bytes read and
written once. Reference figures only."""
import torch


def timed(fn):
    s = torch.cuda.Stream()
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    for _ in range(50):
        g.replay()
    torch.cuda.synchronize()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    out = []
    for _ in range(9):
        a.record()
        for _ in range(20):
            g.replay()
        b.record()
        b.synchronize()
        out.append(a.elapsed_time(b) * 1000 / 20)
    out.sort()
    return out[len(out) // 2]


print("op          dtype      rows   cols   time_us   GB/s   (torch)")
for dt, name in ((torch.float32, "float32"), (torch.bfloat16, "bfloat16")):
    for rows in (16, 4096, 16384):
        cols = 4096
        x = (torch.rand(rows, cols, device="cuda") * 4 - 2).to(dt)
        w = (torch.rand(cols, device="cuda") * 2 - 1).to(dt)
        cases = (("rmsNorm", 2, lambda: torch.nn.functional.rms_norm(x, (cols,), w, 1e-6)),
                 ("layerNorm", 2, lambda: torch.nn.functional.layer_norm(x, (cols,), w, w, 1e-5)),
                 ("softmax", 2, lambda: torch.softmax(x, -1)),
                 ("add", 3, lambda: x + x))
        for op, passes, fn in cases:
            us = timed(fn)
            print(f"{op:11s} {name:9s} {rows:6d} {cols:6d} {us:9.1f} {passes * rows * cols * x.element_size() / us / 1e3:7.0f}",
                  flush=True)
