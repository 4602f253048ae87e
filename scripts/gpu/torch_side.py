"""PyTorch's side of scripts/gpu_check.sh, on the same GPU: the yardsticks our figures are divided by.

  python3 scripts/gpu/torch_side.py REFERENCE_DIR train-step --device cuda [--bf16] [--d-model 512 ...]
  python3 scripts/gpu/torch_side.py REFERENCE_DIR matmul --device cuda [--n 8192] [--dtype bf16]
  python3 scripts/gpu/torch_side.py REFERENCE_DIR decode --device cuda MODEL_DIR SENTENCES [--beam 4]

Each prints one JSON object. train-step is transformer_ref.py's bench-train (the seed's model, Adam,
label-smoothed cross entropy, a random batch) on a device, with the device synchronized around each
timed step; --bf16 runs the forward pass and the loss under torch.autocast(bfloat16) with f32 master
weights. matmul times an n x n x n product, the ceiling a step's FLOP rate is compared with. decode
runs decode_ref.py's own greedy and beam functions with the model and every new tensor on the device.
"""
import argparse
import json
import os
import sys
import time


def synchronize(torch, device):
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def train_step(torch, ref, a):
    torch.manual_seed(0)
    length = max(a.src_len, a.tgt_len)
    m = ref.Transformer(a.vocab, a.vocab, length, length, a.d_model, a.layers, a.heads, 0.1, a.d_ff).to(a.device)
    m.train()
    opt = torch.optim.Adam(m.parameters(), lr=1e-4, eps=1e-9)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=ref.PAD, label_smoothing=0.1)
    on = {"device": a.device}
    src = torch.randint(4, a.vocab, (a.batch, a.src_len), **on)
    tgt = torch.randint(4, a.vocab, (a.batch, a.tgt_len), **on)
    label = torch.randint(4, a.vocab, (a.batch, a.tgt_len), **on)
    src_mask = torch.ones(a.batch, 1, 1, a.src_len, dtype=torch.int, **on)
    tgt_mask = ref.causal_mask(a.tgt_len).to(a.device).unsqueeze(0).expand(a.batch, 1, -1, -1)
    autocast = torch.autocast(device_type=a.device.split(":")[0], dtype=torch.bfloat16, enabled=a.bf16)
    times = []
    for step in range(a.warmup + a.steps):
        synchronize(torch, a.device)
        t0 = time.perf_counter()
        with autocast:
            enc = m.encode(src, src_mask)
            dec = m.decode(enc, src_mask, tgt, tgt_mask)
            loss = loss_fn(m.project(dec).view(-1, a.vocab).float(), label.view(-1))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        synchronize(torch, a.device)
        if step >= a.warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    return {"impl": "pytorch-eager", "torch": torch.__version__, "device": a.device, "bf16": a.bf16,
            "median_step_ms": times[len(times) // 2] * 1e3, "min_step_ms": times[0] * 1e3, "loss": float(loss),
            "tokens_per_s": a.batch * a.tgt_len / times[len(times) // 2]}


def matmul(torch, a):
    dtype = {"bf16": torch.bfloat16, "f32": torch.float32}[a.dtype]
    x = torch.randn(a.n, a.n, device=a.device, dtype=dtype)
    y = torch.randn(a.n, a.n, device=a.device, dtype=dtype)
    best = float("inf")
    for _ in range(a.repeats):
        synchronize(torch, a.device)
        t0 = time.perf_counter()
        x @ y
        synchronize(torch, a.device)
        best = min(best, time.perf_counter() - t0)
    return {"n": a.n, "dtype": a.dtype, "best_ms": best * 1e3, "tflops": 2 * a.n ** 3 / best / 1e12}


def decode(torch, a):
    import decode_ref as d
    if hasattr(torch, "set_default_device"):  # torch 2.x: decode_ref's torch.full/torch.tensor land on the device
        torch.set_default_device(a.device)
    elif a.device != "cpu":
        sys.exit(f"torch_side.py decode: torch {torch.__version__} has no set_default_device; --device cpu only")
    c, m, tok_en, _ = d.ref.load_folder(a.model)
    m = m.to(a.device).eval()
    vocab = tok_en["model"]["vocab"]
    sentences = [line.rstrip("\n") for line in open(a.sentences, encoding="utf-8")]
    cap = c["tgt_seq_len"]
    synchronize(torch, a.device)
    t0 = time.perf_counter()
    with torch.inference_mode():
        ids = [[d.SOS] + [vocab.get(w, d.UNK) for w in d.ref.whitespace_split(s)][: c["src_seq_len"] - 2] + [d.EOS]
               for s in sentences]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        outputs = [None] * len(ids)
        if a.beam > 1:
            for i in order:
                outputs[i] = d.beam_one(m, torch.tensor([ids[i]]), cap, a.beam)
        else:
            for s in range(0, len(order), a.batch_size):
                chunk = order[s:s + a.batch_size]
                width = max(len(ids[i]) for i in chunk)
                src = torch.tensor([ids[i] + [d.PAD] * (width - len(ids[i])) for i in chunk])
                for i, out in zip(chunk, d.greedy_batch(m, src, [cap] * len(chunk))):
                    outputs[i] = out
    synchronize(torch, a.device)
    seconds = time.perf_counter() - t0
    tokens = sum(len([t for t in o[1:] if t != d.EOS]) for o in outputs)
    return {"seconds": seconds, "sentences": len(sentences), "target_tokens": tokens, "tokens_per_s": tokens / seconds,
            "beam": a.beam, "batch_size": a.batch_size, "outputs": outputs}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reference", help="the folder of transformer_ref.py and decode_ref.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train-step")
    for name, default in [("d-model", 512), ("layers", 6), ("heads", 8), ("d-ff", 2048), ("batch", 8),
                          ("src-len", 32), ("tgt-len", 32), ("vocab", 16000), ("steps", 10), ("warmup", 3)]:
        t.add_argument("--" + name, type=int, default=default)
    t.add_argument("--bf16", action="store_true")
    mm = sub.add_parser("matmul")
    mm.add_argument("--n", type=int, default=8192)
    mm.add_argument("--dtype", choices=["bf16", "f32"], default="bf16")
    mm.add_argument("--repeats", type=int, default=10)
    dc = sub.add_parser("decode")
    dc.add_argument("model")
    dc.add_argument("sentences")
    dc.add_argument("--beam", type=int, default=1)
    dc.add_argument("--batch-size", type=int, default=32)
    for s in (t, mm, dc):
        s.add_argument("--device", default="cuda")
        s.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    sys.path.insert(0, a.reference)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    torch.set_num_threads(a.threads)
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(f"torch_side.py: --device {a.device}, but this torch ({torch.__version__}) sees no GPU")
    if a.cmd == "train-step":
        import transformer_ref as ref
        result = train_step(torch, ref, a)
    elif a.cmd == "matmul":
        result = matmul(torch, a)
    else:
        result = decode(torch, a)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
