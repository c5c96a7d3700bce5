"""torch's RMS norm, layer norm, softmax, add and the SwiGLU gate on the shapes of GpuOpsBench, timed with CUDA
events over CUDA-graph replays (warm-up, median of 9 samples of 20 replays); bytes read and
written once. Reference figures only."""
import torch

from cuda_timing import graphed


print("op          dtype      rows   cols   time_us   GB/s   (torch)")
for dt, name in ((torch.float32, "float32"), (torch.bfloat16, "bfloat16")):
    for rows in (16, 4096, 16384):
        cols = 4096
        x = (torch.rand(rows, cols, device="cuda") * 4 - 2).to(dt)
        w = (torch.rand(cols, device="cuda") * 2 - 1).to(dt)
        gu = (torch.rand(rows, 2 * cols, device="cuda") * 4 - 2).to(dt)
        cases = (("rmsNorm", 2, lambda: torch.nn.functional.rms_norm(x, (cols,), w, 1e-6)),
                 ("layerNorm", 2, lambda: torch.nn.functional.layer_norm(x, (cols,), w, w, 1e-5)),
                 ("softmax", 2, lambda: torch.softmax(x, -1)),
                 ("add", 3, lambda: x + x),
                 # the SwiGLU gate of a stacked gate|up projection, as transformers' Llama MLP computes it
                 ("siluMul", 3, lambda: torch.nn.functional.silu(gu[:, :cols]) * gu[:, cols:]))
        for op, passes, fn in cases:
            us = graphed(fn, calls=20, warmup=50)
            print(f"{op:11s} {name:9s} {rows:6d} {cols:6d} {us:9.1f} {passes * rows * cols * x.element_size() / us / 1e3:7.0f}",
                  flush=True)
