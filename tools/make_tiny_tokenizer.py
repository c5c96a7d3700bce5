#!/usr/bin/env python3
"""Writes a tiny Hugging Face tokenizer.json (WordLevel, whitespace split, "<s>" prepended) whose
vocabulary fills a model's vocab_size, and tokenizer-expected.json: sample texts with the ids this
script's own plain lookup gives them, so a test can check a tokenizer library against them.

Usage: python3 tools/make_tiny_tokenizer.py VOCAB_SIZE OUT_DIR [OUT_DIR ...]
Standard library only; the output depends on nothing but VOCAB_SIZE.
"""
import json
import os
import random
import sys

SPECIALS = ["<unk>", "<s>", "</s>"]  # ids 0, 1, 2: the fixtures' unk, bos_token_id, eos_token_id
CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"


def words(n):
    """n distinct lower-case words, consonant-vowel-consonant then longer, in a fixed order."""
    out = []
    for a in CONSONANTS:
        for v in VOWELS:
            for b in CONSONANTS:
                out.append(a + v + b)
    if n > len(out):
        raise SystemExit("vocab too large for this generator")
    return out[:n]


def tokenizer_json(vocab):
    special = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for i, t in enumerate(SPECIALS)]
    bos = {"SpecialToken": {"id": "<s>", "type_id": 0}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": special,
        "normalizer": None,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"},
    }


def reference_ids(text, vocab):
    """What WordLevel + WhitespaceSplit + the "<s> $A" template must give, written out plainly."""
    return [vocab["<s>"]] + [vocab.get(w, vocab["<unk>"]) for w in text.split()]


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    size = int(sys.argv[1])
    plain = words(size - len(SPECIALS))
    vocab = {t: i for i, t in enumerate(SPECIALS + plain)}
    rng = random.Random(20261125)
    texts = [" ".join(rng.choice(plain) for _ in range(n)) for n in (1, 3, 6, 11)]
    texts.append(plain[0] + "  " + plain[-1] + "\t" + plain[5])  # runs of whitespace collapse
    texts.append(plain[3] + " qqq " + plain[4])  # an unknown word maps to <unk>
    expected = {"texts": [{"text": t, "ids": reference_ids(t, vocab)} for t in texts]}
    for out in sys.argv[2:]:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "tokenizer.json"), "w") as f:
            json.dump(tokenizer_json(vocab), f, indent=1)
            f.write("\n")
        with open(os.path.join(out, "tokenizer-expected.json"), "w") as f:
            json.dump(expected, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
