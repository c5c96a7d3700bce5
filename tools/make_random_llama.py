"""Writes a random Llama checkpoint in the Hugging Face layout (config.json + model.safetensors,
bfloat16) with numpy alone, for machines without transformers (the CPU benchmarks). Weights are
normal(0, 0.02) like transformers' initialisation, norms are ones; the default shape is
Llama-3.2-1B's (the one tools/llama1b_bench.py builds with transformers on the GPU machine).
Usage: python3 tools/make_random_llama.py OUT_DIR [--layers 16] [--seed 1675]"""
import argparse
import json
import os

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--layers", type=int, default=16)
p.add_argument("--hidden", type=int, default=2048)
p.add_argument("--intermediate", type=int, default=8192)
p.add_argument("--heads", type=int, default=32)
p.add_argument("--kv-heads", type=int, default=8)
p.add_argument("--head-dim", type=int, default=64)
p.add_argument("--vocab", type=int, default=128256)
p.add_argument("--seed", type=int, default=1675)
a = p.parse_args()

config = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": a.vocab,
    "hidden_size": a.hidden, "intermediate_size": a.intermediate, "num_hidden_layers": a.layers,
    "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads, "head_dim": a.head_dim,
    "max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
    "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                     "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    "tie_word_embeddings": True, "hidden_act": "silu", "attention_bias": False, "mlp_bias": False,
    "bos_token_id": 128000, "eos_token_id": 128001, "torch_dtype": "bfloat16",
}
h, i, d = a.hidden, a.intermediate, a.head_dim
shapes = [("model.embed_tokens.weight", (a.vocab, h))]
for layer in range(a.layers):
    pre = f"model.layers.{layer}."
    shapes += [(pre + "self_attn.q_proj.weight", (a.heads * d, h)),
               (pre + "self_attn.k_proj.weight", (a.kv_heads * d, h)),
               (pre + "self_attn.v_proj.weight", (a.kv_heads * d, h)),
               (pre + "self_attn.o_proj.weight", (h, a.heads * d)),
               (pre + "mlp.gate_proj.weight", (i, h)),
               (pre + "mlp.up_proj.weight", (i, h)),
               (pre + "mlp.down_proj.weight", (h, i)),
               (pre + "input_layernorm.weight", (h,)),
               (pre + "post_attention_layernorm.weight", (h,))]
shapes.append(("model.norm.weight", (h,)))

header, offset = {}, 0
for name, shape in shapes:
    size = int(np.prod(shape)) * 2
    header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + size]}
    offset += size
header["__metadata__"] = {"format": "pt"}
raw = json.dumps(header, separators=(",", ":")).encode()
raw += b" " * (-len(raw) % 8)

os.makedirs(a.out, exist_ok=True)
rng = np.random.default_rng(a.seed)
with open(os.path.join(a.out, "model.safetensors"), "wb") as f:
    f.write(len(raw).to_bytes(8, "little"))
    f.write(raw)
    for name, shape in shapes:
        if name.endswith("norm.weight"):
            w = np.ones(shape, dtype=np.float32)
        else:
            w = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float32)
        u = w.view(np.uint32)
        # float32 -> bfloat16, round to nearest even
        bf = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
        f.write(bf.tobytes())
with open(os.path.join(a.out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
print(f"wrote {offset / 1e9:.2f} GB of bfloat16 weights ({offset // 2 / 1e9:.3f} B parameters) to {a.out}")
