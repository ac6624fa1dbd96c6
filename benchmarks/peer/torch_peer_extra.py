#!/usr/bin/python3
"""PyTorch peer workloads that ../shared/peer/torch_peer.py does not have, on the same model and shapes.

Usage: torch_peer_extra.py WORKLOAD [--shape small|bm1|cs5] [--iters N] [--threads 2] [--peer PATH]
WORKLOADS:
  decode16: greedy generation with a KV cache, batch 16, 64-token prompts, 64 new tokens (the shared peer's
            decode at batch 16; logits of the last position only, as the shared peer's decode reads them).
The model (GPTNeo, SHAPES) is imported from the shared peer (--peer, default: ../shared/peer/torch_peer.py from the
repository root, or next to this repository), so both scripts time the same module.
Prints one JSON line like the shared peer: {"workload", "shape", "tokens_per_s", "ms_per_iter", ...}.
"""
import argparse, importlib.util, json, os, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PEERS = [os.path.join(os.getcwd(), "..", "shared", "peer", "torch_peer.py"),
                 os.path.join(HERE, "..", "..", "..", "shared", "peer", "torch_peer.py")]


def load_peer(path):
    for p in ([path] if path else DEFAULT_PEERS):
        if os.path.exists(p):
            spec = importlib.util.spec_from_file_location("torch_peer", p)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod
    raise SystemExit("shared peer not found (" + (path or ", ".join(DEFAULT_PEERS)) + "): pass --peer")


def decode(peer, model, V, batch, prompt_len=64, new=64):
    import torch
    prompt = torch.randint(0, V, (batch, prompt_len))

    def gen():
        with torch.no_grad():
            cache = [dict() for _ in model.blocks]
            # the shared peer's model unembeds every position; unembed the last one only, as decoding needs
            x = run_blocks(model, prompt, cache, 0)
            tok = (model.ln_f(x[:, -1:]) @ model.wte.weight.T).argmax(-1)
            for s in range(new - 1):
                x = run_blocks(model, tok, cache, prompt_len + s)
                tok = (model.ln_f(x[:, -1:]) @ model.wte.weight.T).argmax(-1)
    return gen


def run_blocks(model, ids, cache, start):
    """The shared peer's GPTNeo.forward without the final norm and unembedding."""
    import torch
    x = model.wte(ids) + model.wpe(torch.arange(start, start + ids.shape[1]))[None]
    for i, b in enumerate(model.blocks):
        x = b(x, cache[i])
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload"); ap.add_argument("--shape", default="small")
    ap.add_argument("--iters", type=int, default=5); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--peer", default=None, help="path of the shared torch_peer.py")
    a = ap.parse_args()
    peer = load_peer(a.peer)
    import torch
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    sh = peer.SHAPES[a.shape]
    model = peer.GPTNeo(**sh)
    if a.workload == "decode16":
        fn = decode(peer, model, sh["V"], 16)
        sec = peer.timeit(fn, max(1, a.iters // 2)); tokens = 16 * 64
    else:
        raise SystemExit("unknown workload " + a.workload + " (decode16)")
    print(json.dumps(dict(workload=a.workload, shape=a.shape, threads=a.threads, ms_per_iter=round(sec * 1e3, 2),
                          tokens_per_s=round(tokens / sec, 1), torch=torch.__version__, batch=16)))


if __name__ == "__main__":
    main()
