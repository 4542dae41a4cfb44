#!/usr/bin/env python3
"""Convert a llama-architecture GGUF (Q4_1 / Q4_0 / Q8_0 / F16 / F32) into an MLX-LM model folder.

Uses only mlx (mx.load reads GGUF and returns Q4_0/Q4_1/Q8_0 tensors already in MLX's affine
quantized layout: weight uint32 + scales + biases, group size 32) and `tokenizers`.

Output folder: config.json (LlamaForCausalLM, with an MLX "quantization" block),
model.safetensors, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
generation_config.json.

usage: gguf_to_mlx.py MODEL.gguf OUT_DIR [DTYPE]
  DTYPE omitted: keep the GGUF's quantized weights (MLX affine, group 32).
  DTYPE float32|float16|bfloat16: dequantize every weight to that dtype (on Linux CPU,
  float32 lets MLX use BLAS sgemm for prompt processing: much faster prefill).
"""
import json
import os
import sys

import mlx.core as mx
import numpy as np


def scalar(v):
    return np.array(v).item()


def unpermute(w, n_head):
    # Undo llama.cpp's convert_hf_to_gguf permutation of q/k rows (HF rotate_half layout ->
    # GGML interleaved layout). Rows are independent in MLX quantization, so this applies to
    # weight, scales and biases alike.
    shape = w.shape
    return (w.reshape(n_head, shape[0] // n_head // 2, 2, *shape[1:])
             .swapaxes(1, 2).reshape(shape))


def main(gguf_path, out_dir, dtype=None):
    weights, meta = mx.load(gguf_path, return_metadata=True)
    arch = meta["general.architecture"]
    if arch != "llama":
        sys.exit(f"unsupported architecture {arch}")
    g = lambda k, d=None: scalar(meta[f"llama.{k}"]) if f"llama.{k}" in meta else d
    n_head = g("attention.head_count")
    n_kv = g("attention.head_count_kv", n_head)
    hidden = g("embedding_length")
    n_layers = g("block_count")
    tokens = meta["tokenizer.ggml.tokens"]

    # ---- weights
    names = {
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
        "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
        "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
    }
    out = {}
    layer_bits = {}  # module path -> bits (Q4_0/Q4_1 -> 4, Q8_0 -> 8)
    for k, v in weights.items():
        parts = k.split(".")
        suffix = parts[-1]  # weight | scales | biases
        if parts[0] == "blk":
            layer, base = parts[1], parts[2]
            nk = f"model.layers.{layer}.{names[base]}.{suffix}"
            if base == "attn_q":
                v = unpermute(v, n_head)
            elif base == "attn_k":
                v = unpermute(v, n_kv)
        elif parts[0] == "token_embd":
            nk = f"model.embed_tokens.{suffix}"
        elif parts[0] == "output_norm":
            nk = f"model.norm.{suffix}"
        elif parts[0] == "output":
            nk = f"lm_head.{suffix}"
        else:
            sys.exit(f"unexpected tensor {k}")
        if suffix == "scales":
            wq = weights[k[: -len("scales")] + "weight"]
            # packed uint32 columns * 32 / bits == input dim == n_groups * 32
            layer_bits[nk[: -len(".scales")]] = wq.shape[-1] * 32 // (v.shape[-1] * 32)
        if v.dtype == mx.float32 and suffix in ("scales", "biases"):
            v = v.astype(mx.float16)
        out[nk] = v
    tied = "lm_head.weight" not in out
    if dtype is not None:
        dt = getattr(mx, dtype)
        deq = {}
        for k, v in out.items():
            if k.endswith(".scales") or k.endswith(".biases"):
                continue
            base = k[: -len(".weight")]
            if base in layer_bits:
                v = mx.dequantize(v, out[base + ".scales"], out[base + ".biases"],
                                  group_size=32, bits=layer_bits[base])
            deq[k] = v.astype(dt)
        out, layer_bits = deq, {}
    os.makedirs(out_dir, exist_ok=True)
    mx.save_safetensors(os.path.join(out_dir, "model.safetensors"), out,
                        metadata={"format": "mlx"})

    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": g("feed_forward_length"),
        "num_hidden_layers": n_layers,
        "num_attention_heads": n_head,
        "num_key_value_heads": n_kv,
        "head_dim": g("rope.dimension_count", hidden // n_head),
        "rms_norm_eps": float(f"{g('attention.layer_norm_rms_epsilon'):.6g}"),
        "rope_theta": float(g("rope.freq_base", 10000.0)),
        "max_position_embeddings": g("context_length"),
        "vocab_size": g("vocab_size", len(tokens)),
        "tie_word_embeddings": tied,
        "hidden_act": "silu",
        "bos_token_id": scalar(meta["tokenizer.ggml.bos_token_id"]),
        "eos_token_id": scalar(meta["tokenizer.ggml.eos_token_id"]),
        "torch_dtype": dtype or "float16",
    }
    bits = None
    if layer_bits:
        # default = the most common width; per-module entries for the others
        # (this GGUF: Q4_1 linears, Q8_0 token embedding)
        vals = list(layer_bits.values())
        bits = max(set(vals), key=vals.count)
        q = {"group_size": 32, "bits": int(bits)}
        for path, b in sorted(layer_bits.items()):
            if b != bits:
                q[path] = {"group_size": 32, "bits": int(b)}
        config["quantization"] = q
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    # ---- tokenizer (GGUF "gpt2" = byte-level BPE)
    if meta["tokenizer.ggml.model"] != "gpt2":
        sys.exit("only gpt2/BPE GGUF tokenizers are handled")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from tokenizers import AddedToken

    vocab = {t: i for i, t in enumerate(tokens)}
    merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False,
                               byte_fallback=False))
    pre = meta.get("tokenizer.ggml.pre", "default")
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True,
                                          use_regex=True)
    if pre == "smollm":  # SmolLM/StarCoder: digits split one by one, then GPT-2 byte level
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), byte_level])
    else:
        tok.pre_tokenizer = byte_level
    tok.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    ttypes = np.array(meta["tokenizer.ggml.token_type"])
    special = [tokens[i] for i in np.where(ttypes == 3)[0]]  # 3 = CONTROL
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    tok.save(os.path.join(out_dir, "tokenizer.json"))

    def tid(key):
        k = f"tokenizer.ggml.{key}_token_id"
        return tokens[scalar(meta[k])] if k in meta else None

    bos, eos, unk, pad = tid("bos"), tid("eos"), tid("unknown"), tid("padding")
    tcfg = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos, "eos_token": eos, "unk_token": unk, "pad_token": pad,
        "add_bos_token": bool(scalar(meta.get("tokenizer.ggml.add_bos_token", False))),
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": config["max_position_embeddings"],
        "additional_special_tokens": [t for t in special if t not in (bos, eos, unk, pad)],
    }
    if "tokenizer.chat_template" in meta:
        tcfg["chat_template"] = meta["tokenizer.chat_template"]
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tcfg, f, indent=2)
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": bos, "eos_token": eos, "unk_token": unk, "pad_token": pad},
                  f, indent=2)
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": config["bos_token_id"],
                   "eos_token_id": config["eos_token_id"]}, f, indent=2)
    print(f"wrote {out_dir}: {len(out)} tensors, bits={bits}, tied={tied}, "
          f"{len(special)} special tokens")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])
