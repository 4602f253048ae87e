#!/usr/bin/python3
"""PyTorch side of `deno task bench dist`: the reference's bench-train step, data-parallel.

One rank of a DistributedDataParallel run over Gloo, started with torchrun's variables (MASTER_ADDR,
MASTER_PORT, RANK, WORLD_SIZE) set, as scripts/bench/dist.ts does:

    /usr/bin/python3 scripts/bench/torch_ddp.py --reference ../shared/reference/transformer_ref.py \\
        [--d-model 512 --layers 6 --heads 8 --d-ff 2048 --batch 8 --src-len 32 --tgt-len 32 \\
         --vocab 16000 --steps 5 --warmup 2 --threads 1]

The model, batch, loss and optimizer are bench-train's (transformer_ref.py, loaded from its path);
each rank draws its own random batch, and DDP averages the gradients across ranks during backward,
in buckets that overlap the backward pass. Rank 0 prints one JSON line like bench-train's, with
`world_size` and its peak RSS.
"""

import argparse
import importlib.util
import json
import re
import time


def load_reference(path):
    spec = importlib.util.spec_from_file_location("transformer_ref", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", required=True, help="path of transformer_ref.py")
    for name, default in [("d-model", 512), ("layers", 6), ("heads", 8), ("d-ff", 2048), ("batch", 8),
                          ("src-len", 32), ("tgt-len", 32), ("vocab", 16000), ("steps", 5), ("warmup", 2),
                          ("threads", 1)]:
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()

    ref = load_reference(a.reference)
    torch, nn = ref.torch, ref.nn
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo")  # reads torchrun's variables
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)  # the same initial parameters on every rank (DDP also broadcasts rank 0's)
    torch.set_num_threads(a.threads)
    length = max(a.src_len, a.tgt_len)
    model = ref.Transformer(a.vocab, a.vocab, length, length, a.d_model, a.layers, a.heads, 0.1, a.d_ff)

    class Step(nn.Module):
        """The reference model has no forward(); DDP needs one to know when an iteration starts."""

        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, src, src_mask, tgt, tgt_mask):
            enc = self.m.encode(src, src_mask)
            return self.m.project(self.m.decode(enc, src_mask, tgt, tgt_mask))

    ddp = DistributedDataParallel(Step(model))
    ddp.train()
    opt = torch.optim.Adam(ddp.parameters(), lr=1e-4, eps=1e-9)
    loss_fn = nn.CrossEntropyLoss(ignore_index=ref.PAD, label_smoothing=0.1)
    gen = torch.Generator().manual_seed(7 + 1000 * rank)  # each rank its own batch
    src = torch.randint(4, a.vocab, (a.batch, a.src_len), generator=gen)
    tgt = torch.randint(4, a.vocab, (a.batch, a.tgt_len), generator=gen)
    label = torch.randint(4, a.vocab, (a.batch, a.tgt_len), generator=gen)
    src_mask = torch.ones(a.batch, 1, 1, a.src_len, dtype=torch.int)
    tgt_mask = ref.causal_mask(a.tgt_len).unsqueeze(0).expand(a.batch, 1, -1, -1)
    times = []
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        loss = loss_fn(ddp(src, src_mask, tgt, tgt_mask).view(-1, a.vocab), label.view(-1))
        loss.backward()  # DDP's all-reduce runs here, bucket by bucket
        opt.step()
        opt.zero_grad(set_to_none=True)
        if step >= a.warmup:
            times.append(time.perf_counter() - t0)
    dist.barrier()
    dist.destroy_process_group()
    if rank == 0:
        times.sort()
        hwm = re.search(r"VmHWM:\s+(\d+) kB", open("/proc/self/status").read())
        print(json.dumps({"impl": "pytorch-ddp", "torch": torch.__version__, "threads": torch.get_num_threads(),
                          "world_size": world,
                          "median_step_ms": round(times[len(times) // 2] * 1e3, 3),
                          "min_step_ms": round(times[0] * 1e3, 3), "loss": float(loss),
                          "peak_rss_mb": int(hwm.group(1)) / 1024 if hwm else None}))


if __name__ == "__main__":
    main()
