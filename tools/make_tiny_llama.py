"""Generates the tiny HF-format Llama fixtures of the model tests: random weights (fixed seed),
config.json, model.safetensors (one shard) and, for a fixed prompt, transformers' float32 logits
of every position and its greedy continuation. Run where transformers is installed:

    python3 tools/make_tiny_llama.py OUT_DIR

Writes OUT_DIR/<name>/{config.json, model.safetensors, expected.json} for a Llama (GQA, untied
embeddings, Llama 3 RoPE scaling), a Qwen2-style variant (attention bias, tied embeddings) and a
sharded copy of the first (model.safetensors.index.json)."""
import json
import os
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

out = sys.argv[1]
torch.manual_seed(1675)
PROMPT = [1, 17, 93, 5, 42, 8, 77, 3]


def dump(name, model, shard=None):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    model = model.float().eval()
    kw = {"safe_serialization": True}
    if shard:
        kw["max_shard_size"] = shard
    model.save_pretrained(d, **kw)
    ids = torch.tensor([PROMPT])
    with torch.no_grad():
        logits = model(ids).logits[0]
        gen = model.generate(ids, max_new_tokens=12, do_sample=False, pad_token_id=0)[0].tolist()
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"prompt": PROMPT, "logits": [[float(x) for x in row] for row in logits],
                   "greedy": gen[len(PROMPT):], "transformers": __import__("transformers").__version__,
                   "torch": torch.__version__}, f)
    for fn in sorted(os.listdir(d)):
        print(name, fn, os.path.getsize(os.path.join(d, fn)))


llama = LlamaConfig(vocab_size=128, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=2, head_dim=64, max_position_embeddings=256,
                    rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=False,
                    rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                    attn_implementation="eager")
m = LlamaForCausalLM(llama)
for p in m.parameters():
    torch.nn.init.normal_(p, std=0.08)
dump("tiny-llama", m)
dump("tiny-llama-sharded", m, shard="200KB")

qwen = Qwen2Config(vocab_size=128, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                   rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                   attn_implementation="eager")
q = Qwen2ForCausalLM(qwen)
for p in q.parameters():
    torch.nn.init.normal_(p, std=0.08)
dump("tiny-qwen2", q)
