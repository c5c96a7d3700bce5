"""PyTorch SDPA (flash and cuDNN backends) on the shapes of GpuAttentionBench, timed with CUDA
events (warm-up, median of 15 samples of 10 back-to-back calls). Reference figures only: none of
these paths is batch-invariant."""
import sys
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

HQ, HKV, D = 32, 8, 128
dev = "cuda"
torch.manual_seed(0)


def timed(fn):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    out = []
    for _ in range(15):
        s.record()
        for _ in range(10):
            fn()
        e.record()
        e.synchronize()
        out.append(s.elapsed_time(e) * 1000 / 10)
    out.sort()
    return out[len(out) // 2]


def run(name, q, k, v, causal, kv_bytes, flops):
    for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION):
        try:
            with sdpa_kernel([backend]):
                gqa = q.shape[1] != k.shape[1]
                us = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=gqa))
            print(f"{name:33s} {backend.name:16s} {us:9.1f} us {kv_bytes / us / 1e6:8.3f} TB/s {flops / us / 1e6:7.1f} TFLOP/s",
                  flush=True)
        except Exception as ex:  # a backend that refuses the shape
            print(f"{name:33s} {backend.name:16s} n/a ({str(ex).splitlines()[0][:80]})", flush=True)


quick = len(sys.argv) > 1 and sys.argv[1] == "quick"
print("torch", torch.__version__, torch.cuda.get_device_name())
for L in ([4096] if quick else [512, 4096, 32768]):
    for B in ([1, 64] if quick else [1, 16, 64, 256]):
        if B * L > 2_200_000:
            continue
        q = torch.randn(B, HQ, 1, D, device=dev, dtype=torch.bfloat16)
        k = torch.randn(B, HKV, L, D, device=dev, dtype=torch.bfloat16)
        v = torch.randn(B, HKV, L, D, device=dev, dtype=torch.bfloat16)
        run(f"decode B{B} L{L}", q, k, v, False, B * L * HKV * D * 4, 4.0 * D * HQ * B * L)
        del q, k, v
for hkv in (HKV, HQ):
    q = torch.randn(8, HQ, 4096, D, device=dev, dtype=torch.bfloat16)
    k = torch.randn(8, hkv, 4096, D, device=dev, dtype=torch.bfloat16)
    v = torch.randn(8, hkv, 4096, D, device=dev, dtype=torch.bfloat16)
    rows = 4096 * 4097 // 2
    run(f"prefill B8 L4096 causal Hkv{hkv}", q, k, v, True, 8 * 4096 * hkv * D * 4, 4.0 * D * HQ * 8 * rows)
# the Llama-3.2-1B shape's prefill: head dim 64, 2048 tokens, GQA 32/8
q = torch.randn(8, HQ, 2048, 64, device=dev, dtype=torch.bfloat16)
k = torch.randn(8, HKV, 2048, 64, device=dev, dtype=torch.bfloat16)
v = torch.randn(8, HKV, 2048, 64, device=dev, dtype=torch.bfloat16)
run("prefill B8 L2048 causal d64", q, k, v, True, 8 * 2048 * HKV * 64 * 4, 4.0 * 64 * HQ * 8 * (2048 * 2049 // 2))
