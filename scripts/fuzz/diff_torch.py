"""The torch side of the differential fuzzer (scripts/fuzz/diff.ts): reads a batch of cases from IN,
runs each with torch on the same inputs, writes the outcomes to OUT.

    /usr/bin/python3 scripts/fuzz/diff_torch.py IN OUT

A case is {id, op, inputs, args}: each input is a recipe {dtype, base, data, view} (raw little-endian
bytes of a contiguous base, base64, and the view taken of it: plain, transpose, slice, sliceLast, expand), built
here exactly as diff_case.ts builds it with the library. An outcome is {id, ok, outputs} with each
output {dtype, shape, data} (row-major bytes, base64), or {id, ok: false, error}. Each function below
is the torch reading of the library op of the same name in scripts/fuzz/diff_table.ts.
"""
import base64
import json
import math
import sys

import torch
import torch.nn.functional as F

DTYPES = {
    "f32": torch.float32,
    "f64": torch.float64,
    "bf16": torch.bfloat16,
    "f16": torch.float16,
    "i64": torch.int64,
    "i32": torch.int32,
    "bool": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
INTS = (torch.int64, torch.int32)


def number(o):
    """JSON object hook: {"$num": "NaN" | "Infinity" | "-Infinity" | "-0"} back to a float."""
    if set(o) == {"$num"}:
        return float(o["$num"].replace("Infinity", "inf"))
    return o


def build(r):
    dtype = DTYPES[r["dtype"]]
    raw = bytearray(base64.b64decode(r["data"]))
    base = torch.frombuffer(raw, dtype=dtype).reshape(r["base"]) if raw else torch.empty(r["base"], dtype=dtype)
    view = r["view"]
    if view["kind"] == "transpose":
        return base.transpose(0, base.dim() - 1)
    if view["kind"] == "slice":
        return base[view["start"] :: 2]
    if view["kind"] == "sliceLast":
        return base[..., view["start"] :: 2]
    if view["kind"] == "expand":
        return base.expand([view["size"], *r["base"][1:]])
    return base


def wire(t):
    t = t.detach().contiguous()
    # numpy has no bfloat16, so the bytes come from a same-width integer view.
    if t.dtype == torch.bfloat16:
        data = t.view(torch.int16).numpy().tobytes()
    else:
        data = t.numpy().tobytes()
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": base64.b64encode(data).decode()}


def scalar(x, s):
    """A JS number as the library passes it: an int with an i32/i64 tensor when integral, else a float."""
    if x.dtype in INTS and float(s).is_integer() and abs(s) < 9.2e18:
        return int(s)
    return float(s)


def other(x, a):
    return scalar(x[0], a["scalar"]) if "scalar" in a else x[1]


def along(fn):
    return lambda x, a: fn(x[0], a["dim"], keepdim=a["keepDim"]) if "dim" in a else fn(x[0])


def maxmin(tensor_fn, reduce_fn):
    def run(x, a):
        if "dim" in a:
            return reduce_fn(x[0], a["dim"], keepdim=a["keepDim"])
        return tensor_fn(x[0])

    return run


def truth_of_scalar(fn):
    """logical_and/logical_or with a number: non-zero is true, so the number is kept whole (f64)."""

    def run(x, a):
        if "scalar" not in a:
            return fn(x[0], x[1])
        return fn(x[0], torch.tensor(float(a["scalar"]), dtype=torch.float64))

    return run


def with_scalar_tensor(fn):
    """maximum/minimum with a number s: torch's ops take no numbers, so s becomes
    a 0-dim tensor of the dtype that x op s would have (torch.result_type), holding s as that dtype does."""

    def run(x, a):
        if "scalar" not in a:
            return fn(x[0], x[1])
        s = scalar(x[0], a["scalar"])
        return fn(x[0], torch.tensor(s, dtype=torch.result_type(x[0], s)))

    return run


def spread(fn):
    def run(x, a):
        o = a["opts"]
        return fn(x[0], a.get("dim"), unbiased=o["unbiased"], keepdim=o["keepDim"])

    return run


def slice_(x, a):
    index = [slice(None)] * x[0].dim()
    index[a["dim"]] = slice(a["start"], a.get("end"), a.get("step", 1))
    return x[0][tuple(index)]


def topk(x, a):
    r = torch.topk(x[0], a["k"], a["dim"], largest=a["largest"], sorted=a["sorted"])
    return [r.values, r.indices]


def layer_norm(x, a):
    weight = x[1] if a["weight"] else None
    bias = x[2 if a["weight"] else 1] if a["bias"] else None
    return F.layer_norm(x[0], (x[0].shape[-1],), weight, bias, a.get("eps", 1e-5))


def cross_entropy(x, a):
    o = a["opts"]
    return F.cross_entropy(
        x[0],
        x[1],
        ignore_index=o.get("ignoreIndex", -100),
        label_smoothing=o.get("labelSmoothing", 0.0),
        reduction=o.get("reduction", "mean"),
    )


def attention_probs(q, k, mask, causal=False):
    """The reference's attention: scores where a bool mask is false become -1e9 before the softmax; a
    float mask is added to the scores (torch 2.x's attn_mask); causal bans the keys after each query
    with -inf, through torch 2.x's top-left tril mask (torch 1.13 has no public F.scaled_dot_product_attention)."""
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if causal:
        scores = scores.masked_fill(~torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril(), -math.inf)
    elif mask is not None and mask.dtype == torch.bool:
        scores = scores.masked_fill(~mask, -1e9)
    elif mask is not None:
        scores = scores + mask
    return torch.softmax(scores, -1)


def options(a):
    return {"dtype": DTYPES[a["dtype"]]} if "dtype" in a else {}


def arange(x, a):
    nums = [a.get("start", 0), a["end"], a.get("step", 1)]
    # All-integral bounds give i64 (Python ints), as the library's arange documents.
    if all(float(v).is_integer() for v in nums):
        nums = [int(v) for v in nums]
    return torch.arange(*nums, **options(a))


def tensor_(x, a):
    dtype = DTYPES[a["dtype"]] if "dtype" in a else torch.float32
    data = [bool(v) for v in a["data"]] if dtype == torch.bool else a["data"]
    return torch.tensor(data, dtype=dtype).reshape(a["shape"])


def full(x, a):
    dtype = DTYPES[a["dtype"]] if "dtype" in a else torch.float32
    return torch.full(a["shape"], a["value"], dtype=dtype)


def adam_step(x, a):
    """One step of torch.optim.Adam (AdamW when decoupled) from the given moments at step a["step"]."""
    h = a["hyper"]
    p, m, v = x[0].clone(), x[2].clone(), x[3].clone()
    # The gradient as it is (its layout decides the kernels' paths, and with them the last bit).
    p.grad = x[1]
    kind = torch.optim.AdamW if h["decoupled"] else torch.optim.Adam
    opt = kind([p], lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"], weight_decay=h["weightDecay"])
    opt.state[p] = {"step": torch.tensor(float(a["step"] - 1)), "exp_avg": m, "exp_avg_sq": v}
    opt.step()
    return [p, m, v]


def clip_by_global_norm(x, a):
    params = [torch.nn.Parameter(torch.empty_like(g)) for g in x]
    for p, g in zip(params, x):
        p.grad = g.clone()
    norm = torch.nn.utils.clip_grad_norm_(params, a["maxNorm"])
    return [p.grad for p in params] + [norm]


def from_bytes(x, a):
    dtype = DTYPES[a["dtype"]]
    raw = bytearray(base64.b64decode(a["bytes"]))
    t = torch.frombuffer(raw, dtype=torch.uint8 if dtype == torch.bool else dtype) if raw else torch.empty(0)
    t = t.reshape(a["shape"]) if raw else torch.empty(a["shape"], dtype=dtype)
    # The library reads bool bytes as "non-zero is true".
    t = t != 0 if dtype == torch.bool else t
    return t.to(DTYPES[a["castTo"]]) if "castTo" in a else t


def mha(x, a):
    """nn.attention.apply as its module documents it: project q, k, v, split into heads, softmax(q kᵀ / √d) v
    per head (the reference's -1e9 where the mask is false), merge the heads, project back."""
    query = x[0]
    source = x[1] if a["cross"] else x[0]
    rest = x[2:] if a["cross"] else x[1:]
    per = 2 if a["bias"] else 1
    weights = [rest[i * per] for i in range(4)]
    biases = [rest[i * per + 1] for i in range(4)] if a["bias"] else [None] * 4
    mask = rest[4 * per] if a["mask"] else None
    heads = a["heads"]

    def split(t):
        b, s, f = t.shape
        return t.reshape(b, s, heads, f // heads).transpose(1, 2)

    q, k, v = (split(F.linear(t, w, b)) for t, w, b in zip([query, source, source], weights, biases))
    merged = (attention_probs(q, k, mask) @ v).transpose(1, 2)
    return F.linear(merged.reshape(query.shape), weights[3], biases[3])


def opt(x, a, name):
    """The optional input whose index in x is a[name] (None when absent): the neural network ops' bias, weight, ..."""
    return x[a[name]] if a.get(name) is not None else None


def snake(d):
    """The library's camelCase options renamed as torch.nn.functional's keywords."""
    return {"".join("_" + c.lower() if c.isupper() else c for c in k): v for k, v in d.items()}


def mlp(x, a):
    """nn.mlp.apply: linear layers with exact GELU between them, none after the last."""
    h = x[0]
    for i in range(a["layers"]):
        h = F.linear(h if i == 0 else F.gelu(h), x[1 + 2 * i], x[2 + 2 * i])
    return h


OPS = {
    "add": lambda x, a: torch.add(x[0], other(x, a)),
    "sub": lambda x, a: torch.sub(x[0], other(x, a)),
    "mul": lambda x, a: torch.mul(x[0], other(x, a)),
    "div": lambda x, a: torch.div(x[0], other(x, a)),
    "pow": lambda x, a: torch.pow(x[0], other(x, a)),
    "maximum": with_scalar_tensor(torch.maximum),
    "minimum": with_scalar_tensor(torch.minimum),
    "eq": lambda x, a: torch.eq(x[0], other(x, a)),
    "ne": lambda x, a: torch.ne(x[0], other(x, a)),
    "lt": lambda x, a: torch.lt(x[0], other(x, a)),
    "le": lambda x, a: torch.le(x[0], other(x, a)),
    "gt": lambda x, a: torch.gt(x[0], other(x, a)),
    "ge": lambda x, a: torch.ge(x[0], other(x, a)),
    "logicalAnd": truth_of_scalar(torch.logical_and),
    "logicalOr": truth_of_scalar(torch.logical_or),
    "rsub": lambda x, a: scalar(x[0], a["scalar"]) - x[0],
    "rdiv": lambda x, a: scalar(x[0], a["scalar"]) / x[0],
    "abs": lambda x, a: torch.abs(x[0]),
    "neg": lambda x, a: torch.neg(x[0]),
    "exp": lambda x, a: torch.exp(x[0]),
    "log": lambda x, a: torch.log(x[0]),
    "sqrt": lambda x, a: torch.sqrt(x[0]),
    "rsqrt": lambda x, a: torch.rsqrt(x[0]),
    "tanh": lambda x, a: torch.tanh(x[0]),
    "sigmoid": lambda x, a: torch.sigmoid(x[0]),
    "relu": lambda x, a: torch.relu(x[0]),
    "sin": lambda x, a: torch.sin(x[0]),
    "cos": lambda x, a: torch.cos(x[0]),
    "reciprocal": lambda x, a: torch.reciprocal(x[0]),
    "logicalNot": lambda x, a: torch.logical_not(x[0]),
    "isNaN": lambda x, a: torch.isnan(x[0]),
    "isFinite": lambda x, a: torch.isfinite(x[0]),
    "gelu": lambda x, a: F.gelu(x[0], approximate=a["approximate"]),
    "clamp": lambda x, a: torch.clamp(
        x[0],
        min=scalar(x[0], a["min"]) if "min" in a else None,
        max=scalar(x[0], a["max"]) if "max" in a else None,
    ),
    "where": lambda x, a: torch.where(x[0], x[1], x[2]),
    "maskedFill": lambda x, a: x[0].masked_fill(x[1], a["value"]),
    "sum": along(torch.sum),
    "mean": along(torch.mean),
    "max": maxmin(torch.max, torch.amax),
    "min": maxmin(torch.min, torch.amin),
    "argmax": lambda x, a: torch.argmax(x[0], a["dim"], keepdim=a["keepDim"]),
    "argmin": lambda x, a: torch.argmin(x[0], a["dim"], keepdim=a["keepDim"]),
    "logsumexp": lambda x, a: torch.logsumexp(x[0], a["dim"], keepdim=a["keepDim"]),
    "std": spread(torch.std),
    "var_": spread(torch.var),
    "softmax": lambda x, a: torch.softmax(x[0], a["dim"]),
    "logSoftmax": lambda x, a: torch.log_softmax(x[0], a["dim"]),
    "topk": topk,
    "reshape": lambda x, a: x[0].reshape(a["shape"]),
    "view": lambda x, a: x[0].view(a["shape"]),
    "expand": lambda x, a: x[0].expand(a["shape"]),
    "transpose": lambda x, a: x[0].transpose(a["i"], a["j"]),
    "permute": lambda x, a: x[0].permute(a["order"]),
    "contiguous": lambda x, a: x[0].contiguous(),
    "squeeze": lambda x, a: x[0].squeeze(a["dim"]),
    "unsqueeze": lambda x, a: x[0].unsqueeze(a["dim"]),
    "slice": slice_,
    "cat": lambda x, a: torch.cat(x, a["dim"]),
    "stack": lambda x, a: torch.stack(x, a["dim"]),
    "gather": lambda x, a: torch.gather(x[0], a["dim"], x[1]),
    "indexSelect": lambda x, a: torch.index_select(x[0], a["dim"], x[1]),
    "tril": lambda x, a: torch.tril(x[0], a["k"]),
    "triu": lambda x, a: torch.triu(x[0], a["k"]),
    "matmul": lambda x, a: torch.matmul(x[0], x[1]),
    "bmm": lambda x, a: torch.bmm(x[0], x[1]),
    "linear": lambda x, a: F.linear(x[0], x[1], x[2] if a["bias"] else None),
    "embedding": lambda x, a: F.embedding(x[1], x[0]),
    "dropout": lambda x, a: F.dropout(x[0], 0.0, training=True),
    "layerNorm": layer_norm,
    "crossEntropy": cross_entropy,
    "attentionProbs": lambda x, a: attention_probs(x[0], x[1], x[2] if a["mask"] else None, a.get("isCausal", False)),
    "scaledDotProductAttention": lambda x, a: attention_probs(
        x[0], x[1], x[3] if a["mask"] else None, a.get("isCausal", False)
    )
    @ x[2],
    "cast": lambda x, a: x[0].to(DTYPES[a["dtype"]]),
    "clone": lambda x, a: x[0].clone(),
    "detach": lambda x, a: x[0].detach(),
    "full": full,
    "zeros": lambda x, a: torch.zeros(a["shape"], **options(a)),
    "ones": lambda x, a: torch.ones(a["shape"], **options(a)),
    "fullLike": lambda x, a: torch.full_like(x[0], a["value"]),
    "zerosLike": lambda x, a: torch.zeros_like(x[0]),
    "onesLike": lambda x, a: torch.ones_like(x[0]),
    "arange": arange,
    "eye": lambda x, a: torch.eye(a["n"], **options(a)),
    "tensor": tensor_,
    "fromBytes": from_bytes,
    "variance_": spread(torch.var),
    "clipGradNorm": clip_by_global_norm,
    "toDevice": lambda x, a: x[0].to("cpu"),
    "item": lambda x, a: torch.tensor(float(x[0].item()), dtype=torch.float64),
    "values": lambda x, a: x[0].reshape(-1).to(torch.float64),
    "isContiguous": lambda x, a: torch.tensor(x[0].is_contiguous()),
    "adamStep": adam_step,
    "clipByGlobalNorm": clip_by_global_norm,
    "nn.linear.apply": lambda x, a: F.linear(x[0], x[1], x[2] if a["bias"] else None),
    "nn.layerNorm.apply": lambda x, a: F.layer_norm(x[0], (x[0].shape[-1],), x[1], x[2], a.get("eps", 1e-5)),
    "nn.attention.apply": mha,
    "nn.embedding.apply": lambda x, a: F.embedding(x[1], x[0]),
    "nn.dropout.apply": lambda x, a: x[0],
    # ---- elementwise and reductions/scans ----
    "silu": lambda x, a: F.silu(x[0]),
    "mish": lambda x, a: F.mish(x[0]),
    "softplus": lambda x, a: F.softplus(x[0], a["beta"], a["threshold"]),
    "elu": lambda x, a: F.elu(x[0], a["alpha"]),
    "leakyRelu": lambda x, a: F.leaky_relu(x[0], a["slope"]),
    "hardtanh": lambda x, a: F.hardtanh(x[0], a["min"], a["max"]),
    "erf": lambda x, a: torch.erf(x[0]),
    "log1p": lambda x, a: torch.log1p(x[0]),
    "expm1": lambda x, a: torch.expm1(x[0]),
    "log2": lambda x, a: torch.log2(x[0]),
    "floor": lambda x, a: torch.floor(x[0]),
    "ceil": lambda x, a: torch.ceil(x[0]),
    "round": lambda x, a: torch.round(x[0]),
    "trunc": lambda x, a: torch.trunc(x[0]),
    "sign": lambda x, a: torch.sign(x[0]),
    "square": lambda x, a: torch.square(x[0]),
    "fmod": lambda x, a: torch.fmod(x[0], other(x, a)),
    "remainder": lambda x, a: torch.remainder(x[0], other(x, a)),
    # torch.atan2 takes no number: s as a 0-dim tensor of x's float dtype (f32 for integer x), as ours.
    "atan2": lambda x, a: torch.atan2(
        x[0],
        torch.tensor(float(a["scalar"]), dtype=x[0].dtype if x[0].is_floating_point() else torch.float32)
        if "scalar" in a
        else x[1],
    ),
    "lerp": lambda x, a: torch.lerp(x[0], x[1], float(a["weight"]) if "weight" in a else x[2]),
    # b is x[1], or x[0] + x[1] * scale (close to x[0]) when a scale was drawn.
    "isclose": lambda x, a: torch.isclose(
        x[0],
        x[0] + x[1] * a["scale"] if "scale" in a else x[1],
        rtol=a["opts"].get("rtol", 1e-5),
        atol=a["opts"].get("atol", 1e-8),
        equal_nan=a["opts"].get("equalNan", False),
    ),
    "allclose": lambda x, a: torch.tensor(
        torch.allclose(
            x[0],
            x[0] + x[1] * a["scale"] if "scale" in a else x[1],
            rtol=a["opts"].get("rtol", 1e-5),
            atol=a["opts"].get("atol", 1e-8),
            equal_nan=a["opts"].get("equalNan", False),
        )
    ),
    "prod": along(torch.prod),
    "all": along(torch.all),
    "any": along(torch.any),
    "cumsum": lambda x, a: torch.cumsum(x[0], a["dim"]),
    "cumprod": lambda x, a: torch.cumprod(x[0], a["dim"]),
    "logcumsumexp": lambda x, a: torch.logcumsumexp(x[0], a["dim"]),
    "norm": lambda x, a: torch.norm(x[0], a["p"], a.get("dim"), a["keepDim"]),
    # Unstable sorts: values only (the order of ties is the kernel's; see diff_table.ts).
    "sort": lambda x, a: (lambda r: [r.values, r.indices] if a["stable"] else [r.values])(
        torch.sort(x[0], dim=a["dim"], descending=a["descending"], stable=a["stable"])
    ),
    "argsort": lambda x, a: torch.argsort(x[0], dim=a["dim"], descending=a["descending"], stable=a["stable"]),
    # Along a dim on a contiguous copy: torch 1.13 reads garbage where that dim has stride 0 and keepdim
    # is set (ours copies for the same reason, see native/sort.cpp).
    "median": lambda x, a: torch.median(x[0].contiguous(), a["dim"], keepdim=a["keepDim"]).values
    if "dim" in a
    else torch.median(x[0]),
    "mode": lambda x, a: torch.mode(x[0], a["dim"], keepdim=a["keepDim"]).values,
    "unique": lambda x, a: (lambda r: [r[0], r[2], r[1]] if a["inverse"] else [r[0], r[1]])(
        torch.unique(x[0], sorted=True, return_inverse=a["inverse"], return_counts=True)
    ),

    # ---- indexing and shape ----
    "flatten": lambda x, a: torch.flatten(x[0], a.get("start", 0), a.get("end", -1)),
    "unflatten": lambda x, a: x[0].unflatten(a["dim"], a["sizes"]),
    "split": lambda x, a: list(torch.split(x[0], a["sizes"] if "sizes" in a else a["size"], a["dim"])),
    "chunk": lambda x, a: list(torch.chunk(x[0], a["chunks"], a["dim"])),
    "unbind": lambda x, a: list(torch.unbind(x[0], a["dim"])),
    "flip": lambda x, a: torch.flip(x[0], a["dims"]),
    "roll": lambda x, a: torch.roll(x[0], a["shifts"], a["dims"]) if "dims" in a else torch.roll(x[0], a["shifts"]),
    "repeat": lambda x, a: x[0].repeat(a["repeats"]),
    "tile": lambda x, a: torch.tile(x[0], a["reps"]),
    "repeatInterleave": lambda x, a: torch.repeat_interleave(
        x[0], a["repeats"] if "repeats" in a else x[1], dim=a.get("dim")
    ),
    "pad": lambda x, a: F.pad(x[0], a["padding"], mode=a["mode"], value=scalar(x[0], a["value"]))
    if a["mode"] == "constant"
    else F.pad(x[0], a["padding"], mode=a["mode"]),
    "movedim": lambda x, a: torch.movedim(x[0], a["source"], a["destination"]),
    "narrow": lambda x, a: torch.narrow(x[0], a["dim"], a["start"], a["length"]),
    "diag": lambda x, a: torch.diag(x[0], a["k"]),
    "diagonal": lambda x, a: torch.diagonal(x[0], a["offset"], a["d1"], a["d2"]),
    "broadcastTo": lambda x, a: torch.broadcast_to(x[0], a["shape"]),
    "meshgrid": lambda x, a: list(torch.meshgrid(*x, indexing=a["indexing"])),
    "scatter": lambda x, a: torch.scatter(x[0], a["dim"], x[1], scalar(x[0], a["value"]) if "value" in a else x[2]),
    "scatterAdd": lambda x, a: torch.scatter_add(x[0], a["dim"], x[1], x[2]),
    "scatterReduce": lambda x, a: torch.scatter_reduce(
        x[0], a["dim"], x[1], x[2], a["reduce"], include_self=a["includeSelf"]
    ),
    "indexAdd": lambda x, a: torch.index_add(x[0], a["dim"], x[1], x[2], alpha=scalar(x[0], a.get("alpha", 1))),
    "indexFill": lambda x, a: x[0].index_fill(a["dim"], x[1], scalar(x[0], a["value"])),
    "indexPut": lambda x, a: x[0].index_put(tuple(x[1 : 1 + a["m"]]), x[1 + a["m"]], a["accumulate"]),
    "take": lambda x, a: torch.take(x[0], x[1]),
    # Without dim, flattened by reshape (torch 1.13's view(-1) refuses non-contiguous inputs; the library does not).
    "takeAlongDim": lambda x, a: torch.take_along_dim(x[0], x[1], a["dim"])
    if "dim" in a
    else torch.take_along_dim(x[0].reshape(-1), x[1].reshape(-1), 0),
    "nonzero": lambda x, a: torch.nonzero(x[0]),
    "maskedSelect": lambda x, a: torch.masked_select(x[0], x[1]),
    "oneHot": lambda x, a: F.one_hot(x[0], a["numClasses"]),

    # ---- linear algebra, creation and random ----
    "einsum": lambda x, a: torch.einsum(a["equation"], *x),
    "outer": lambda x, a: torch.outer(x[0], x[1]),
    "addmm": lambda x, a: torch.addmm(
        x[0], x[1], x[2], **({"beta": scalar(x[0], a["beta"]), "alpha": scalar(x[0], a["alpha"])} if "beta" in a else {})
    ),
    # torch 1.13's CPU baddbmm with beta = 0 scales its uninitialized result by 0 (NaN now and then, seen
    # here too), so beta = 0 runs as the library runs it: beta = 1 over zeros, the documented alpha · (a @ b).
    "baddbmm": lambda x, a: (
        torch.baddbmm(torch.zeros_like(x[0]), x[1], x[2], beta=1, alpha=scalar(x[0], a["alpha"]))
        if a.get("beta") == 0
        else torch.baddbmm(
            x[0], x[1], x[2], **({"beta": scalar(x[0], a["beta"]), "alpha": scalar(x[0], a["alpha"])} if "beta" in a else {})
        )
    ),
    "tensordot": lambda x, a: torch.tensordot(x[0], x[1], dims=a["dims"]),
    "kron": lambda x, a: torch.kron(x[0], x[1]),
    "inverse": lambda x, a: torch.linalg.inv(x[0]),
    "det": lambda x, a: torch.linalg.det(x[0]),
    "slogdet": lambda x, a: list(torch.linalg.slogdet(x[0])),
    "solve": lambda x, a: torch.linalg.solve(x[0], x[1]),
    "cholesky": lambda x, a: torch.linalg.cholesky(
        x[0] @ x[0].transpose(-2, -1) + torch.eye(x[0].shape[-1], dtype=x[0].dtype) * x[0].shape[-1] if a["spd"] else x[0],
        upper=a["upper"],
    ),
    "qr": lambda x, a: list(torch.linalg.qr(x[0], mode=a["mode"])),
    "svd": lambda x, a: list(torch.linalg.svd(x[0], full_matrices=a["fullMatrices"])),
    "eigh": lambda x, a: list(torch.linalg.eigh(x[0], UPLO=a["UPLO"])),
    "linspace": lambda x, a: torch.linspace(float(a["start"]), float(a["end"]), a["steps"], **options(a)),
    "logspace": lambda x, a: torch.logspace(float(a["start"]), float(a["end"]), a["steps"], a["base"], **options(a)),
    "emptyLike": lambda x, a: torch.zeros_like(torch.empty_like(x[0])),

    # ---- neural network ----
    "conv1d": lambda x, a: F.conv1d(x[0], x[1], opt(x, a, "bias"), **a["opts"]),
    "conv2d": lambda x, a: F.conv2d(x[0], x[1], opt(x, a, "bias"), **a["opts"]),
    "conv3d": lambda x, a: F.conv3d(x[0], x[1], opt(x, a, "bias"), **a["opts"]),
    "convTranspose1d": lambda x, a: F.conv_transpose1d(x[0], x[1], opt(x, a, "bias"), **snake(a["opts"])),
    "convTranspose2d": lambda x, a: F.conv_transpose2d(x[0], x[1], opt(x, a, "bias"), **snake(a["opts"])),
    "maxPool1d": lambda x, a: F.max_pool1d(x[0], **snake(a["opts"])),
    "maxPool2d": lambda x, a: F.max_pool2d(x[0], **snake(a["opts"])),
    "maxPool1dWithIndices": lambda x, a: list(F.max_pool1d(x[0], **snake(a["opts"]), return_indices=True)),
    "maxPool2dWithIndices": lambda x, a: list(F.max_pool2d(x[0], **snake(a["opts"]), return_indices=True)),
    "avgPool1d": lambda x, a: F.avg_pool1d(x[0], **snake(a["opts"])),
    "avgPool2d": lambda x, a: F.avg_pool2d(x[0], **snake(a["opts"])),
    "adaptiveAvgPool2d": lambda x, a: F.adaptive_avg_pool2d(x[0], a["size"]),
    "interpolate": lambda x, a: F.interpolate(x[0], **snake(a["opts"])),
    # batch_norm updates the running statistics in place: on clones, which are then the new state.
    "batchNorm": lambda x, a: (
        lambda mean, var: [
            F.batch_norm(x[0], mean, var, opt(x, a, "weight"), opt(x, a, "bias"), **snake(a["opts"])),
            mean,
            var,
        ]
    )(x[1].clone(), x[2].clone()),
    "groupNorm": lambda x, a: F.group_norm(x[0], a["groups"], opt(x, a, "weight"), opt(x, a, "bias"), a.get("eps", 1e-5)),
    "instanceNorm": lambda x, a: F.instance_norm(
        x[0], weight=opt(x, a, "weight"), bias=opt(x, a, "bias"), eps=a.get("eps", 1e-5)
    ),
    # torch 2.x's F.rms_norm, written out (torch 1.13 has none): x * rsqrt(mean(x^2) + eps) * weight
    # over the trailing dims of normalized_shape (a number n meaning [n], which must match x's trailing
    # sizes), eps defaulting to torch.finfo(x.dtype).eps.
    "rmsNorm": lambda x, a: (
        lambda shape: (
            torch._assert(list(x[0].shape[x[0].dim() - len(shape) :]) == shape, "normalized_shape: x's trailing sizes"),
            (lambda y: y * x[a["weight"]] if a.get("weight") is not None else y)(
                x[0]
                * torch.rsqrt(
                    x[0].pow(2).mean(list(range(-len(shape), 0)), keepdim=True)
                    + (a["eps"] if a.get("eps") is not None else torch.finfo(x[0].dtype).eps)
                )
            ),
        )[1]
    )([a["normalized"]] if isinstance(a["normalized"], int) else list(a["normalized"])),
    "mseLoss": lambda x, a: F.mse_loss(x[0], x[1], **snake(a["opts"])),
    "l1Loss": lambda x, a: F.l1_loss(x[0], x[1], **snake(a["opts"])),
    "smoothL1Loss": lambda x, a: F.smooth_l1_loss(x[0], x[1], **snake(a["opts"])),
    "huberLoss": lambda x, a: F.huber_loss(x[0], x[1], **snake(a["opts"])),
    "nllLoss": lambda x, a: F.nll_loss(x[0], x[1], weight=opt(x, a, "weight"), **snake(a["opts"])),
    "binaryCrossEntropy": lambda x, a: F.binary_cross_entropy(
        torch.sigmoid(x[0]), torch.sigmoid(x[1]), weight=opt(x, a, "weight"), reduction=a.get("reduction", "mean")
    ),
    "binaryCrossEntropyWithLogits": lambda x, a: F.binary_cross_entropy_with_logits(
        x[0], x[1], weight=opt(x, a, "weight"), pos_weight=opt(x, a, "posWeight"), reduction=a.get("reduction", "mean")
    ),
    "klDiv": lambda x, a: F.kl_div(x[0], x[1], **snake(a["opts"])),
    "cosineEmbeddingLoss": lambda x, a: F.cosine_embedding_loss(x[0], x[1], x[2], **snake(a["opts"])),

    # ---- layers and optimizers ----
    # The optimizer steps through torch.optim's functional single-tensor code on copies of the states
    # (a null state is torch's first step: None for SGD's buffer, zeros for RMSprop's averages).
    "sgdStep": lambda x, a: (
        lambda p, bufs: (
            sys.modules["torch.optim.sgd"].sgd([p], [x[1]], bufs, foreach=False, maximize=False, **a["kw"]),
            [p] + ([bufs[0]] if a["kw"]["momentum"] != 0 else []),
        )[-1]
    )(x[0].clone(), [x[2].clone() if a["hasBuf"] else None]),
    "adagradStep": lambda x, a: (
        lambda p, s: (
            sys.modules["torch.optim.adagrad"].adagrad(
                [p], [x[1]], [s], [torch.tensor(float(a["step"] - 1))], foreach=False, maximize=False, **a["kw"]
            ),
            [p, s],
        )[-1]
    )(x[0].clone(), x[2].clone()),
    "rmspropStep": lambda x, a: (
        lambda p, sq, ga, buf: (
            sys.modules["torch.optim.rmsprop"].rmsprop([p], [x[1]], [sq], [ga], [buf], foreach=False, **a["kw"]),
            [p, sq] + ([ga] if a["kw"]["centered"] else []) + ([buf] if a["kw"]["momentum"] > 0 else []),
        )[-1]
    )(
        x[0].clone(),
        x[2].clone(),
        x[3].clone() if a["hasGradAvg"] else torch.zeros_like(x[0]),
        x[3 + a["hasGradAvg"]].clone() if a["hasBuf"] else torch.zeros_like(x[0]),
    ),
    # Lion as lion-pytorch's update_fn writes it, op for op.
    "lionStep": lambda x, a: (
        lambda p, m, k: (
            p.mul_(1 - k["lr"] * k["weightDecay"]),
            p.add_(m.clone().mul_(k["beta1"]).add(x[1], alpha=1 - k["beta1"]).sign_(), alpha=-k["lr"]),
            m.mul_(k["beta2"]).add_(x[1], alpha=1 - k["beta2"]),
            [p, m],
        )[-1]
    )(x[0].clone(), x[2].clone(), a["kw"]),
    # x · rsqrt(mean(x², -1) + eps) · weight (torch.nn.RMSNorm of torch 2.4, whose eps None is finfo's eps)
    "nn.rmsNorm.apply": lambda x, a: x[0]
    * torch.rsqrt((x[0] * x[0]).mean(-1, keepdim=True) + a.get("eps", torch.finfo(x[0].dtype).eps))
    * x[1],
    "nn.mlp.apply": mlp,
    "nn.sequential.apply": lambda x, a: F.linear(F.gelu(F.linear(x[0], x[1], x[2])), x[3], x[4]),
    "nn.multiHeadAttention.apply": mha,
    # The convolution layers are F.convNd with the layer's weight and bias (x[2] when a["bias"]).
    "nn.conv1d.apply": lambda x, a: F.conv1d(x[0], x[1], x[2] if a["bias"] else None, **a["opts"]),
    "nn.conv2d.apply": lambda x, a: F.conv2d(x[0], x[1], x[2] if a["bias"] else None, **a["opts"]),
    # torch.nn.BatchNorm's forward: F.batch_norm on clones of the running statistics (which it updates
    # in place), the clones then being the new state. x: x, (weight, bias when affine,) mean, var.
    "nn.batchNorm.apply": lambda x, a: (
        lambda mean, var: [
            F.batch_norm(
                x[0],
                mean,
                var,
                x[1] if a["affine"] else None,
                x[2] if a["affine"] else None,
                a["opts"]["training"],
                a["opts"].get("momentum", 0.1),
                a["opts"].get("eps", 1e-5),
            ),
            mean,
            var,
        ]
    )(x[3 if a["affine"] else 1].clone(), x[4 if a["affine"] else 2].clone()),
}


def run(case):
    try:
        x = [build(r) for r in case["inputs"]]
        result = OPS[case["op"]](x, case["args"])
        outputs = result if isinstance(result, list) else [result]
        return {"id": case["id"], "ok": True, "outputs": [wire(t) for t in outputs]}
    except Exception as e:  # a rejection is an outcome to compare, not a crash of the batch
        return {"id": case["id"], "ok": False, "error": f"{type(e).__name__}: {e}".splitlines()[0][:300]}


def main():
    src, dst = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    with open(src) as f:
        cases = json.load(f, object_hook=number)
    outcomes = [run(c) for c in cases]
    with open(dst, "w") as f:
        json.dump(outcomes, f)


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")
    main()
