"""CUDA-event timing shared by the PyTorch reference scripts: warm-up, then the median of
`samples` samples, each the mean of `calls` back-to-back calls, in microseconds."""
import torch


def timed(fn, samples=9, calls=10, warmup=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    out = []
    for _ in range(samples):
        s.record()
        for _ in range(calls):
            fn()
        e.record()
        e.synchronize()
        out.append(s.elapsed_time(e) * 1000 / calls)
    out.sort()
    return out[len(out) // 2]


def graphed(fn, samples=9, calls=10, warmup=5):
    """The same call captured in a CUDA graph and replayed: kernel time without the launch path."""
    s = torch.cuda.Stream()
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    return timed(g.replay, samples, calls, warmup)
