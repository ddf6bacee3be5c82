#!/usr/bin/env python3
"""An independent PyTorch BertForMaskedLM / RobertaForMaskedLM forward, to check that model.safetensors files are what
transformers would load by name: written from the architecture (post-LN encoder, exact GELU, tied decoder), reading
model.safetensors by parsing the format itself, and loading with from_pretrained's strict name and shape checks.

Only torch is needed (no transformers, no safetensors package), so it runs where pip does not (python3-torch on Debian).

  torch_mlm.py reference FIXTURE_DIR            reproduce FIXTURE_DIR/reference.json (and its reference-*.f32 logits)
  torch_mlm.py logits MODEL_DIR CASES.json OUT  logits for each case {input_ids, attention_mask[, token_type_ids]}
                                                as little-endian float32 files OUT-<i>.f32 ([batch, seq, vocab])
Prints one JSON line with what it did; exits 1 when a check fails.
"""
import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def read_safetensors(path):
    """name -> float32 tensor, from the format: u64 little-endian header length, JSON header, then the bytes."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).to(torch.float32)
    return out


def expected_parameters(cfg):
    """transformers' parameter names and shapes for the model, and the names it ties or ignores when loading."""
    kind = cfg["model_type"]
    if kind not in ("bert", "roberta"):
        raise SystemExit(f"model_type {kind!r}: this check covers bert and roberta")
    p = "bert." if kind == "bert" else "roberta."
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    shapes = {
        p + "embeddings.word_embeddings.weight": [V, H],
        p + "embeddings.position_embeddings.weight": [cfg["max_position_embeddings"], H],
        p + "embeddings.token_type_embeddings.weight": [cfg["type_vocab_size"], H],
        p + "embeddings.LayerNorm.weight": [H],
        p + "embeddings.LayerNorm.bias": [H],
    }
    for i in range(cfg["num_hidden_layers"]):
        l = f"{p}encoder.layer.{i}."
        for m in ("query", "key", "value"):
            shapes[l + f"attention.self.{m}.weight"] = [H, H]
            shapes[l + f"attention.self.{m}.bias"] = [H]
        shapes[l + "attention.output.dense.weight"] = [H, H]
        shapes[l + "attention.output.dense.bias"] = [H]
        shapes[l + "attention.output.LayerNorm.weight"] = [H]
        shapes[l + "attention.output.LayerNorm.bias"] = [H]
        shapes[l + "intermediate.dense.weight"] = [I, H]
        shapes[l + "intermediate.dense.bias"] = [I]
        shapes[l + "output.dense.weight"] = [H, I]
        shapes[l + "output.dense.bias"] = [H]
        shapes[l + "output.LayerNorm.weight"] = [H]
        shapes[l + "output.LayerNorm.bias"] = [H]
    if kind == "bert":
        head = {"dense": "cls.predictions.transform.dense.", "norm": "cls.predictions.transform.LayerNorm.", "bias": "cls.predictions.bias",
                "decoder": "cls.predictions.decoder.weight", "decoder_bias": "cls.predictions.decoder.bias"}
    else:
        head = {"dense": "lm_head.dense.", "norm": "lm_head.layer_norm.", "bias": "lm_head.bias",
                "decoder": "lm_head.decoder.weight", "decoder_bias": "lm_head.decoder.bias"}
    shapes[head["dense"] + "weight"] = [H, H]
    shapes[head["dense"] + "bias"] = [H]
    shapes[head["norm"] + "weight"] = [H]
    shapes[head["norm"] + "bias"] = [H]
    shapes[head["bias"]] = [V]
    # Tied on load (tie_word_embeddings; the decoder bias is the head's bias): absent from a checkpoint is fine.
    tied = {head["decoder"]: [V, H], head["decoder_bias"]: [V]}
    # from_pretrained's _keys_to_ignore_on_load_unexpected for the masked-LM classes, and old buffers.
    ignorable = ("pooler.", "embeddings.position_ids")
    return p, head, shapes, tied, ignorable


def load_strict(weights, cfg):
    """Parameters by transformers name, as from_pretrained accepts them: every expected name present with its shape,
    nothing unexpected (besides what transformers ignores for these classes), a stored decoder equal to the tie."""
    p, head, shapes, tied, ignorable = expected_parameters(cfg)
    missing = [n for n in shapes if n not in weights]
    unexpected = [n for n in weights if n not in shapes and n not in tied and not any(s in n for s in ignorable)]
    wrong = [f"{n}: {list(weights[n].shape)} != {s}" for n, s in {**shapes, **tied}.items() if n in weights and list(weights[n].shape) != s]
    if missing or unexpected or wrong:
        raise SystemExit(json.dumps({"ok": False, "missing": missing, "unexpected": unexpected, "shape_mismatch": wrong}))
    params = {n: weights[n] for n in shapes}
    word = params[p + "embeddings.word_embeddings.weight"]
    if head["decoder"] in weights and not torch.equal(weights[head["decoder"]], word):
        raise SystemExit(json.dumps({"ok": False, "error": f"{head['decoder']} is stored and differs from the word embeddings (not tied)"}))
    if head["decoder_bias"] in weights and not torch.equal(weights[head["decoder_bias"]], params[head["bias"]]):
        raise SystemExit(json.dumps({"ok": False, "error": f"{head['decoder_bias']} differs from {head['bias']}"}))
    return p, head, params


def forward(params, p, head, cfg, input_ids, attention_mask, token_type_ids=None):
    """Logits [batch, seq, vocab] in eval mode (no dropout)."""
    ids = torch.tensor(input_ids, dtype=torch.long)
    mask = torch.tensor(attention_mask, dtype=torch.float32)
    types = torch.zeros_like(ids) if token_type_ids is None else torch.tensor(token_type_ids, dtype=torch.long)
    B, S = ids.shape
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    d = H // nh
    eps = cfg.get("layer_norm_eps", 1e-12)
    ln = lambda x, name: torch.nn.functional.layer_norm(x, (H,), params[name + "weight"], params[name + "bias"], eps)
    lin = lambda x, name: torch.nn.functional.linear(x, params[name + "weight"], params[name + "bias"])
    if cfg["model_type"] == "roberta":
        # RoBERTa numbers positions after the padding index, skipping pads (create_position_ids_from_input_ids).
        pad = cfg["pad_token_id"]
        keep = (ids != pad).long()
        positions = torch.cumsum(keep, dim=1) * keep + pad
    else:
        positions = torch.arange(S).unsqueeze(0).expand(B, S)
    e = p + "embeddings."
    x = params[e + "word_embeddings.weight"][ids] + params[e + "position_embeddings.weight"][positions] + params[e + "token_type_embeddings.weight"][types]
    x = ln(x, e + "LayerNorm.")
    bias = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
    heads = lambda t: t.view(B, S, nh, d).transpose(1, 2)
    for i in range(cfg["num_hidden_layers"]):
        l = f"{p}encoder.layer.{i}."
        q, k, v = (heads(lin(x, l + f"attention.self.{m}.")) for m in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + bias
        ctx = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, S, H)
        x = ln(lin(ctx, l + "attention.output.dense.") + x, l + "attention.output.LayerNorm.")
        inner = torch.nn.functional.gelu(lin(x, l + "intermediate.dense."))  # exact (erf) GELU: hidden_act "gelu"
        x = ln(lin(inner, l + "output.dense.") + x, l + "output.LayerNorm.")
    h = torch.nn.functional.layer_norm(torch.nn.functional.gelu(lin(x, head["dense"])), (H,), params[head["norm"] + "weight"], params[head["norm"] + "bias"], eps)
    return h @ params[p + "embeddings.word_embeddings.weight"].T + params[head["bias"]]


def load_model(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("hidden_act", "gelu") != "gelu" or cfg.get("position_embedding_type", "absolute") != "absolute":
        raise SystemExit(f"{model_dir}: only hidden_act gelu with absolute positions is covered")
    p, head, params = load_strict(read_safetensors(os.path.join(model_dir, "model.safetensors")), cfg)
    return cfg, p, head, params


@torch.no_grad()
def check_reference(fixture, tol=1e-4):
    cfg, p, head, params = load_model(fixture)
    with open(os.path.join(fixture, "reference.json")) as f:
        ref = json.load(f)
    worst, masks, full = 0.0, 0, 0
    for c in ref["cases"]:
        logits = forward(params, p, head, cfg, c["input_ids"], c["attention_mask"], c.get("token_type_ids"))
        for m in c["masks"]:
            row = logits[m["batch_index"], m["position"]]
            got = row[torch.tensor(m["top_ids"])]
            worst = max(worst, (got - torch.tensor(m["top_logits"])).abs().max().item())
            if int(row.argmax()) != m["top_ids"][0]:
                raise SystemExit(json.dumps({"ok": False, "case": c["name"], "error": "top token differs"}))
            masks += 1
        if c.get("logits_file"):
            with open(os.path.join(fixture, c["logits_file"]), "rb") as f:
                expected = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(logits.shape)
            worst = max(worst, (logits - expected).abs().max().item())
            full += 1
    ok = worst <= tol
    print(json.dumps({"ok": ok, "fixture": os.path.basename(os.path.normpath(fixture)), "masks": masks, "full_logit_files": full, "max_abs_diff": worst, "torch": torch.__version__}))
    return 0 if ok else 1


@torch.no_grad()
def write_logits(model_dir, cases_file, out_prefix):
    cfg, p, head, params = load_model(model_dir)
    with open(cases_file) as f:
        cases = json.load(f)
    shapes = []
    for i, c in enumerate(cases):
        logits = forward(params, p, head, cfg, c["input_ids"], c["attention_mask"], c.get("token_type_ids")).contiguous()
        with open(f"{out_prefix}-{i}.f32", "wb") as f:
            f.write(logits.numpy().astype("<f4").tobytes())
        shapes.append(list(logits.shape))
    print(json.dumps({"ok": True, "model_type": cfg["model_type"], "parameters": len(params), "shapes": shapes, "torch": torch.__version__}))
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "reference":
        sys.exit(check_reference(args[1]))
    if len(args) == 4 and args[0] == "logits":
        sys.exit(write_logits(args[1], args[2], args[3]))
    sys.exit(__doc__)
