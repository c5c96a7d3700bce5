"""cuBLAS (torch.nn.functional.linear) on the shapes of GpuGemmBench, timed with CUDA events
(warm-up, median of 9 samples of 10 back-to-back calls). Reference figures only: cuBLAS picks its
kernels by M, so its rows are not batch-invariant."""
import torch

from cuda_timing import graphed, timed

torch.backends.cuda.matmul.allow_tf32 = False


print("dtype     M      N      K     time_us   TFLOP/s   GB/s(weights)   graph_us  graph_TFLOP/s  (cuBLAS)")
for dt, name in ((torch.bfloat16, "bfloat16"), (torch.float32, "float32")):
    for n, k in ((2048, 2048), (8192, 2048), (2048, 8192), (128256, 2048), (4096, 4096)):
        for m in (1, 16, 64, 256, 2048, 8192):
            if dt == torch.float32 and m > 2048:
                continue
            if n * m > 300_000_000:
                continue
            x = torch.rand(m, k, device="cuda", dtype=dt) * 2 - 1
            w = torch.rand(n, k, device="cuda", dtype=dt) * 2 - 1
            us = timed(lambda: torch.nn.functional.linear(x, w))
            gus = graphed(lambda: torch.nn.functional.linear(x, w))
            print(f"{name:8s} {m:6d} {n:6d} {k:6d} {us:10.1f} {2 * m * n * k / us / 1e6:9.1f} "
                  f"{n * k * x.element_size() / us / 1e3:9.0f} {gus:14.1f} {2 * m * n * k / gus / 1e6:10.1f}", flush=True)
