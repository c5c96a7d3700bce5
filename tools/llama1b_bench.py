"""Builds a random Llama-3.2-1B-shaped checkpoint with transformers (16 layers, hidden 2048, GQA 32/8,
head dim 64, intermediate 8192, vocab 128256, tied embeddings, Llama 3 RoPE scaling; bfloat16),
saves it as config.json + model.safetensors, and times transformers' greedy `generate` on it:

    python3 tools/llama1b_bench.py --out DIR [--batches 1,8,64] [--prompt 128] [--new 128]
                                   [--prefill-batch 8] [--prefill-len 2048] [--repeats 3]

- decode tok/s at each batch size B: B prompts of --prompt random tokens; decode time = time of
  generate(--new tokens) - time of generate(1 token); tok/s = B * (new - 1) / decode time;
- TTFT at each B: generate(1 token) (prefill of the batch and its first token);
- prefill tok/s: --prefill-batch prompts of --prefill-len tokens, generate(1 token).

Each figure is the median of --repeats runs after one warm-up run, on the host clock around
torch.cuda.synchronize(). Prints `RESULT hf <metric> <value>` lines (the metric names of
GenerationBench), which tools/llama1b_bench.sh joins with the engine's. The same directory then
loads in the engine (GenerationBench DIR). With --skip-build an existing DIR is reused."""
import argparse
import os
import statistics
import time

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--batches", default="1,8,64")
p.add_argument("--prompt", type=int, default=128)
p.add_argument("--new", type=int, default=128)
p.add_argument("--prefill-batch", type=int, default=8)
p.add_argument("--prefill-len", type=int, default=2048)
p.add_argument("--repeats", type=int, default=3)
p.add_argument("--skip-build", action="store_true")
p.add_argument("--attn", default="sdpa")
a = p.parse_args()

VOCAB = 128256
cfg = LlamaConfig(vocab_size=VOCAB, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                  num_attention_heads=32, num_key_value_heads=8, head_dim=64, max_position_embeddings=131072,
                  rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True, bos_token_id=128000,
                  eos_token_id=128001,
                  rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
                  attn_implementation=a.attn)
print(f"torch {torch.__version__}, transformers {transformers.__version__}, {torch.cuda.get_device_name(0)}",
      flush=True)
t0 = time.perf_counter()
if a.skip_build and os.path.exists(os.path.join(a.out, "config.json")):
    model = LlamaForCausalLM.from_pretrained(a.out, dtype=torch.bfloat16, attn_implementation=a.attn).cuda()
else:
    torch.manual_seed(1675)
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg)
    model = model.to(torch.bfloat16)
    os.makedirs(a.out, exist_ok=True)
    model.save_pretrained(a.out, safe_serialization=True)
    print(f"saved {sum(p.numel() for p in model.parameters()) / 1e9:.3f} B parameters to {a.out}: "
          + ", ".join(f"{f} {os.path.getsize(os.path.join(a.out, f)) >> 20} MiB" for f in sorted(os.listdir(a.out))),
          flush=True)
model.eval()
print(f"model ready in {time.perf_counter() - t0:.1f} s", flush=True)


def prompts(b, n, seed):
    g = torch.Generator(device="cpu").manual_seed(seed)
    return torch.randint(0, VOCAB, (b, n), generator=g).cuda()


def generate(ids, new):
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=new,
                             min_new_tokens=new, do_sample=False, pad_token_id=0)
    assert out.shape[1] == ids.shape[1] + new, out.shape
    return out


def seconds(fn):
    fn()  # warm-up
    ts = []
    for _ in range(a.repeats):
        torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


for b in [int(x) for x in a.batches.split(",")]:
    ids = prompts(b, a.prompt, 1000 + b)
    first = seconds(lambda: generate(ids, 1))
    full = seconds(lambda: generate(ids, a.new))
    tok_s = b * (a.new - 1) / (full - first)
    print(f"decode B{b}: prompt {a.prompt}, {a.new} new tokens: {tok_s:.1f} tok/s decode, TTFT {first * 1e3:.2f} ms",
          flush=True)
    print(f"RESULT hf decode_tok_s_b{b} {tok_s:.1f}")
    print(f"RESULT hf ttft_ms_b{b} {first * 1e3:.2f}", flush=True)

ids = prompts(a.prefill_batch, a.prefill_len, 5000)
s = seconds(lambda: generate(ids, 1))
n = a.prefill_batch * a.prefill_len
print(f"prefill B{a.prefill_batch} x {a.prefill_len}: {n / s:.0f} tok/s, TTFT {s * 1e3:.1f} ms", flush=True)
print(f"RESULT hf prefill_tok_s_b{a.prefill_batch}x{a.prefill_len} {n / s:.0f}")
print(f"RESULT hf ttft_ms_b{a.prefill_batch}x{a.prefill_len} {s * 1e3:.1f}", flush=True)
