#!/usr/bin/python3
"""A PyTorch reading of HuggingFace checkpoint folders, independent of TinySQL-J: the check that a fine-tuned model
folder means the same thing to PyTorch as to our engine, and the PyTorch side of the fine-tuning speed comparison.
Needs only PyTorch and NumPy (Debian: python3-torch); the forward passes follow HF's modeling code of each family
(GPT-Neo with its local layers, GPT-2's Conv1D layout, Llama with Llama-3 RoPE scaling and grouped keys, Qwen2 with
q/k/v biases), tied or untied unembedding.

  hf_reference.py logits MODEL_DIR INPUTS_JSON OUT_BIN
      INPUTS_JSON: {"input_ids": [[...]], "attention_mask": [[...]]} (right padding); writes the logits [B,T,V] as
      little-endian float32 to OUT_BIN, computed in float64 from the stored weights. Padded keys are masked, padded
      queries are not (they see the real keys before them), as in TinySQL-J.
  hf_reference.py step CONFIG_JSON BATCH TIME [ITERS] [THREADS]
      Times forward + backward + AdamW of a randomly initialised model of that config.json on a BATCH x TIME batch of
      random tokens with the loss on the second half, float32; prints one JSON line (seconds per step, peak RSS).
"""
import json, math, os, resource, struct, sys, time
import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "F64": np.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = data[a:b]
        if e["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            t = torch.from_numpy(u.view(np.float32).copy())
        else:
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")).astype(np.float32))
        out[name] = t.reshape(e["shape"])
    return out


def read_weights(d):
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        P = {}
        for shard in sorted(set(json.load(open(idx))["weight_map"].values())):
            P.update(read_safetensors(os.path.join(d, shard)))
        return P
    return read_safetensors(os.path.join(d, "model.safetensors"))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def allowed(T, am, window=None):
    i = torch.arange(T)[:, None]; j = torch.arange(T)[None]
    ok = j <= i
    if window:
        ok = ok & (i - j < window)
    return ok[None, None] & am[:, None, None, :].bool()


def attend(q, k, v, ok, scale):
    s = torch.einsum("bqhd,bkhd->bhqk", q, k) * scale
    s = s.masked_fill(~ok, torch.finfo(s.dtype).min)
    return torch.einsum("bhqk,bkhd->bqhd", s.softmax(-1), v)


def gpt_forward(cfg, P, ids, am):
    neo = cfg["model_type"] == "gpt_neo"
    B, T = ids.shape
    C = cfg["hidden_size"] if neo else cfg["n_embd"]
    H = cfg["num_heads"] if neo else cfg["n_head"]
    L = cfg["num_layers"] if neo else cfg["n_layer"]
    D = C // H
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    x = P["transformer.wte.weight"][ids] + P["transformer.wpe.weight"][torch.arange(T)][None]
    kinds = cfg.get("attention_layers") or ["global"] * L
    for i in range(L):
        p = f"transformer.h.{i}."
        h = F.layer_norm(x, (C,), P[p + "ln_1.weight"], P[p + "ln_1.bias"], eps)
        if neo:
            q, k, v = (h @ P[p + f"attn.attention.{n}_proj.weight"].T for n in "qkv")
            window = cfg.get("window_size", 256) if kinds[i] == "local" else None
            z = attend(q.view(B, T, H, D), k.view(B, T, H, D), v.view(B, T, H, D), allowed(T, am, window), 1.0)
            x = x + z.reshape(B, T, C) @ P[p + "attn.attention.out_proj.weight"].T + P[p + "attn.attention.out_proj.bias"]
            fc, proj = P[p + "mlp.c_fc.weight"].T, P[p + "mlp.c_proj.weight"].T
        else:
            q, k, v = (h @ P[p + "attn.c_attn.weight"] + P[p + "attn.c_attn.bias"]).split(C, dim=2)
            z = attend(q.view(B, T, H, D), k.view(B, T, H, D), v.view(B, T, H, D), allowed(T, am), 1 / math.sqrt(D))
            x = x + z.reshape(B, T, C) @ P[p + "attn.c_proj.weight"] + P[p + "attn.c_proj.bias"]
            fc, proj = P[p + "mlp.c_fc.weight"], P[p + "mlp.c_proj.weight"]
        h = F.layer_norm(x, (C,), P[p + "ln_2.weight"], P[p + "ln_2.bias"], eps)
        x = x + gelu_new(h @ fc + P[p + "mlp.c_fc.bias"]) @ proj + P[p + "mlp.c_proj.bias"]
    x = F.layer_norm(x, (C,), P["transformer.ln_f.weight"], P["transformer.ln_f.bias"], eps)
    W = P["transformer.wte.weight"] if cfg.get("tie_word_embeddings", True) else P["lm_head.weight"]
    return x @ W.T


def rope_inv_freq(cfg, D):
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    rs = cfg.get("rope_scaling")
    if rs:  # Llama-3: long wavelengths divided by factor, a smooth band between
        factor, lo, hi = rs.get("factor", 8.0), rs.get("low_freq_factor", 1.0), rs.get("high_freq_factor", 4.0)
        old = rs.get("original_max_position_embeddings", 8192)
        wavelen = 2 * math.pi / inv
        smooth = (old / wavelen - lo) / (hi - lo)
        scaled = torch.where(wavelen > old / lo, inv / factor, inv)
        mid = (wavelen <= old / lo) & (wavelen >= old / hi)
        inv = torch.where(mid, (1 - smooth) * inv / factor + smooth * inv, scaled)
    return inv


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def llama_forward(cfg, P, ids, am):
    B, T = ids.shape
    C, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H); D = C // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    fr = torch.outer(torch.arange(T, dtype=torch.float64), rope_inv_freq(cfg, D))
    emb = torch.cat((fr, fr), dim=-1)
    dt = P["model.embed_tokens.weight"].dtype
    cos, sin = emb.cos().to(dt)[None, :, None], emb.sin().to(dt)[None, :, None]
    x = P["model.embed_tokens.weight"][ids]
    ok = allowed(T, am)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, P[p + "input_layernorm.weight"], eps)

        def proj(n, heads):
            y = h @ P[p + f"self_attn.{n}_proj.weight"].T
            if bias:
                y = y + P[p + f"self_attn.{n}_proj.bias"]
            return y.view(B, T, heads, D)
        q, k, v = proj("q", H), proj("k", KV), proj("v", KV)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        z = attend(q, k.repeat_interleave(H // KV, 2), v.repeat_interleave(H // KV, 2), ok, 1 / math.sqrt(D))
        x = x + z.reshape(B, T, C) @ P[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, P[p + "post_attention_layernorm.weight"], eps)
        x = x + (F.silu(h @ P[p + "mlp.gate_proj.weight"].T) * (h @ P[p + "mlp.up_proj.weight"].T)) @ P[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, P["model.norm.weight"], eps)
    W = P["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else P["lm_head.weight"]
    return x @ W.T


def forward(cfg, P, ids, am):
    return (gpt_forward if cfg["model_type"] in ("gpt_neo", "gpt2") else llama_forward)(cfg, P, ids, am)


def logits_main(model_dir, inputs, out):
    torch.set_num_threads(1)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    P = {n: t.double() for n, t in read_weights(model_dir).items()}
    j = json.load(open(inputs))
    ids, am = torch.tensor(j["input_ids"]), torch.tensor(j["attention_mask"])
    with torch.no_grad():
        lg = forward(cfg, P, ids, am).float().contiguous()
    with open(out, "wb") as f:
        f.write(lg.numpy().astype("<f4").tobytes())


def shapes(cfg):
    """HF tensor names and shapes of a config (GPT-Neo and Llama/Qwen2 layouts)."""
    s = {}
    if cfg["model_type"] == "gpt_neo":
        C, L, V = cfg["hidden_size"], cfg["num_layers"], cfg["vocab_size"]
        M = cfg.get("intermediate_size") or 4 * C
        s["transformer.wte.weight"], s["transformer.wpe.weight"] = (V, C), (cfg.get("max_position_embeddings", 2048), C)
        for i in range(L):
            p = f"transformer.h.{i}."
            for n in ("ln_1", "ln_2"):
                s[p + n + ".weight"], s[p + n + ".bias"] = (C,), (C,)
            for n in "qkv":
                s[p + f"attn.attention.{n}_proj.weight"] = (C, C)
            s[p + "attn.attention.out_proj.weight"], s[p + "attn.attention.out_proj.bias"] = (C, C), (C,)
            s[p + "mlp.c_fc.weight"], s[p + "mlp.c_fc.bias"] = (M, C), (M,)
            s[p + "mlp.c_proj.weight"], s[p + "mlp.c_proj.bias"] = (C, M), (C,)
        s["transformer.ln_f.weight"], s["transformer.ln_f.bias"] = (C,), (C,)
        return s
    C, H, V, M = cfg["hidden_size"], cfg["num_attention_heads"], cfg["vocab_size"], cfg["intermediate_size"]
    KV = cfg.get("num_key_value_heads", H); D = C // H
    bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    s["model.embed_tokens.weight"], s["model.norm.weight"] = (V, C), (C,)
    if not cfg.get("tie_word_embeddings", False):
        s["lm_head.weight"] = (V, C)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        s[p + "input_layernorm.weight"], s[p + "post_attention_layernorm.weight"] = (C,), (C,)
        for n, w in (("q", H * D), ("k", KV * D), ("v", KV * D)):
            s[p + f"self_attn.{n}_proj.weight"] = (w, C)
            if bias:
                s[p + f"self_attn.{n}_proj.bias"] = (w,)
        s[p + "self_attn.o_proj.weight"] = (C, H * D)
        s[p + "mlp.gate_proj.weight"], s[p + "mlp.up_proj.weight"], s[p + "mlp.down_proj.weight"] = (M, C), (M, C), (C, M)
    return s


def step_main(config, B, T, iters=3, threads=2):
    torch.set_num_threads(threads); torch.manual_seed(0)
    cfg = json.load(open(config))
    P = {}
    for n, sh in shapes(cfg).items():
        P[n] = (torch.ones(sh) if len(sh) == 1 and "bias" not in n else torch.randn(sh) * 0.02).requires_grad_()
    params = list(P.values())
    opt = torch.optim.AdamW(params, lr=2e-5, betas=(0.9, 0.999), weight_decay=0.01)
    V = cfg["vocab_size"]
    ids = torch.randint(0, V, (B, T)); am = torch.ones(B, T, dtype=torch.long)
    labels = ids.clone(); labels[:, : T // 2] = -100

    def step():
        lg = forward(cfg, P, ids, am)
        loss = F.cross_entropy(lg[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    step()
    t = time.perf_counter()
    for _ in range(iters):
        step()
    sec = (time.perf_counter() - t) / iters
    print(json.dumps(dict(model_type=cfg["model_type"], parameters=sum(p.numel() for p in params), batch=B, time=T,
                          threads=threads, s_per_step=round(sec, 3), tokens_per_s=round(B * T / sec, 1),
                          peak_rss_gib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20, 2),
                          torch=torch.__version__)))


if __name__ == "__main__":
    if sys.argv[1] == "logits":
        logits_main(*sys.argv[2:5])
    elif sys.argv[1] == "step":
        step_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *(int(a) for a in sys.argv[5:7]))
    else:
        raise SystemExit(__doc__)
