/**
 * Safetensors: fromBytes/bytes, round trips in every dtype (bit-exact), a byte-level fixture built here
 * with DataView (independent of our writer), files written by PyTorch's reference and ours read back by
 * PyTorch (when Debian's python3-torch is installed; skipped with a notice otherwise), every malformed
 * header rejected with a SafetensorsError before any tensor is built, atomic writes, and matchState.
 */
import assert from "node:assert";
import {
  bytes,
  bytesInto,
  cast,
  data,
  type DType,
  FreedTensorError,
  fromBytes,
  memory,
  scope,
  ShapeError,
  type Tensor,
  tensor,
  transpose,
  values,
} from "../mod.ts";
import {
  matchState,
  parseSafetensors,
  parseSafetensorsHeader,
  readSafetensors,
  SafetensorsError,
  serializeSafetensors,
  StateMismatchError,
  writeSafetensors,
} from "../lib/io/safetensors.ts";

// ---------- helpers ----------

const enc = new TextEncoder();

/** A safetensors file assembled by hand: u64 LE length, the header text exactly as given, the data. */
function handFile(header: unknown, payload: Uint8Array = new Uint8Array(0), pad = false): Uint8Array {
  let text = typeof header === "string" ? header : JSON.stringify(header);
  if (pad) text += " ".repeat((8 - (enc.encode(text).length % 8)) % 8);
  const json = enc.encode(text);
  const out = new Uint8Array(8 + json.length + payload.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(payload, 8 + json.length);
  return out;
}

/** Little-endian bytes written with DataView, one setter per element. */
function le(
  kind: "f32" | "f64" | "u16" | "i32" | "i64" | "u8",
  xs: readonly (number | bigint)[],
): Uint8Array {
  const size = { f32: 4, f64: 8, u16: 2, i32: 4, i64: 8, u8: 1 }[kind];
  const out = new Uint8Array(xs.length * size);
  const v = new DataView(out.buffer);
  xs.forEach((x, i) => {
    const o = i * size;
    if (kind === "f32") v.setFloat32(o, x as number, true);
    else if (kind === "f64") v.setFloat64(o, x as number, true);
    else if (kind === "u16") v.setUint16(o, x as number, true);
    else if (kind === "i32") v.setInt32(o, x as number, true);
    else if (kind === "i64") v.setBigInt64(o, BigInt(x), true);
    else v.setUint8(o, x as number);
  });
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function headerOf(file: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(file.subarray(8, 8 + length)) };
}

/** Asserts that parsing `file` throws a SafetensorsError matching `pattern`, and builds no tensor. */
function rejects(file: Uint8Array, pattern: RegExp, source = "bad.safetensors"): SafetensorsError {
  const before = memory().tensors;
  let caught: unknown;
  try {
    scope(() => parseSafetensors(file, source));
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SafetensorsError, `expected a SafetensorsError, got ${caught}`);
  assert.match(caught.message, pattern);
  assert.ok(caught.message.startsWith(`${source}: `), caught.message);
  assert.strictEqual(memory().tensors, before, "a rejected file must not leave tensors behind");
  return caught;
}

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "deno_torch_safetensors_" });
}

function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

function withFile<R>(fn: (dir: string) => R): R {
  const dir = tempDir();
  try {
    return fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

// Values each dtype holds exactly, with their raw little-endian bytes built by hand.
const BF16 = [[1.5, 0x3fc0], [-2, 0xc000], [0.0078125, 0x3c00], [256, 0x4380], [3.140625, 0x4049], [0, 0]] as const;
const F16 = [[0.5, 0x3800], [-1.25, 0xbd00], [65504, 0x7bff], [6.103515625e-5, 0x0400], [2047, 0x67ff], [
  -0,
  0x8000,
]] as const;
const I64 = [2n ** 40n + 3n, -(2n ** 33n), 2n ** 62n + 1n, -1n, 0n, 2n ** 31n];
const I32 = [-2147483648, 2147483647, 0, -7, 123456, 1];
const F32 = [1 / 3, -0, Infinity, -1e-30, 3.4e38, 42];
const F64 = [1 / 3, 1e300, -5e-324, Math.PI, -0, 2 ** 60 + 2 ** 8];
const BOOL = [1, 0, 0, 1, 1, 0];
const I8 = [-128, 127, 0, -1, 42, 1];

/** One tensor per dtype (each 2x3), built from hand-made bytes, with those bytes. */
function everyDType(): [string, Tensor, Uint8Array][] {
  const raw: [DType, Uint8Array][] = [
    ["f32", le("f32", F32)],
    ["f64", le("f64", F64)],
    ["bf16", le("u16", BF16.map(([, b]) => b))],
    ["f16", le("u16", F16.map(([, b]) => b))],
    ["i64", le("i64", I64)],
    ["i32", le("i32", I32)],
    ["bool", le("u8", BOOL)],
    ["i8", le("u8", I8.map((x) => x & 0xff))],
  ];
  return raw.map(([d, b]) => [`t_${d}`, fromBytes(b, d, [2, 3]), b]);
}

function assertValues(t: Tensor, dtype: DType, shape: number[]): void {
  assert.strictEqual(t.dtype, dtype);
  assert.deepStrictEqual([...t.shape], shape);
  const d = data(t);
  switch (dtype) {
    case "f32":
      assert.deepStrictEqual([...d], F32.map(Math.fround));
      break;
    case "f64":
      assert.deepStrictEqual([...d], F64);
      break;
    case "bf16":
      assert.deepStrictEqual([...d], BF16.map(([x]) => x));
      break;
    case "f16":
      assert.deepStrictEqual([...d], F16.map(([x]) => x));
      break;
    case "i64":
      assert.deepStrictEqual([...d], I64);
      break;
    case "i32":
      assert.deepStrictEqual([...d], I32);
      break;
    case "bool":
      assert.deepStrictEqual([...d], BOOL);
      break;
    case "i8":
      assert.deepStrictEqual([...d], I8);
      break;
  }
}

// ---------- fromBytes / bytes ----------

Deno.test("fromBytes/bytes: raw bytes in and out unchanged for every dtype, values as written", () => {
  const before = memory().tensors;
  scope(() => {
    for (const [name, t, b] of everyDType()) {
      assertValues(t, name.slice(2) as DType, [2, 3]);
      assert.deepStrictEqual(bytes(t), b, name);
    }
  });
  assert.strictEqual(memory().tensors, before);
});

Deno.test("fromBytes: views into a larger buffer, empty and 0-d tensors, bool bytes, castTo", () => {
  scope(() => {
    const buf = concat(new Uint8Array([9, 9, 9]), le("f32", [1.5, -2]), new Uint8Array([7]));
    assert.deepStrictEqual(values(fromBytes(buf.subarray(3, 11), "f32", [2])), [1.5, -2]);
    const empty = fromBytes(new Uint8Array(0), "bf16", [0, 3]);
    assert.deepStrictEqual([...empty.shape], [0, 3]);
    assert.strictEqual(bytes(empty).length, 0);
    const scalar = fromBytes(le("f64", [2.25]), "f64", []);
    assert.strictEqual(scalar.rank, 0);
    assert.deepStrictEqual(values(scalar), [2.25]);
    // A non-zero byte other than 1 is true, stored as 1.
    const b = fromBytes(new Uint8Array([0, 2, 1, 255]), "bool", [4]);
    assert.deepStrictEqual(bytes(b), new Uint8Array([0, 1, 1, 1]));
    const c = fromBytes(le("f32", [1.5, 3]), "f32", [2], { castTo: "bf16" });
    assert.strictEqual(c.dtype, "bf16");
    assert.deepStrictEqual(bytes(c), le("u16", [0x3fc0, 0x4040]));
  });
});

Deno.test("fromBytes: a byte count that does not fit the shape is a ShapeError saying both", () => {
  assert.throws(() => fromBytes(new Uint8Array(10), "f32", [3]), (e: unknown) => {
    assert.ok(e instanceof ShapeError);
    assert.match(e.message, /fromBytes: shape \[3\] of f32 needs 12 bytes \(3 elements x 4\), got 10/);
    return true;
  });
  assert.throws(() => fromBytes(new Uint8Array(4), "f32", [-1]), ShapeError);
});

Deno.test("bytes: non-contiguous tensors come out row-major", () => {
  scope(() => {
    const t = transpose(tensor([[1, 2, 3], [4, 5, 6]]), 0, 1);
    assert.deepStrictEqual(bytes(t), le("f32", [1, 4, 2, 5, 3, 6]));
  });
});

// ---------- round trips ----------

Deno.test("serialize/parse round trip: every dtype bit-exact, 0-d and empty tensors, metadata", () => {
  const before = memory().tensors;
  scope(() => {
    const entries: [string, Tensor][] = everyDType().map(([n, t]) => [n, t]);
    entries.push(["scalar", fromBytes(le("f32", [-7.5]), "f32", [])]);
    entries.push(["empty", fromBytes(new Uint8Array(0), "i64", [0, 4])]);
    entries.push(["empty2", fromBytes(new Uint8Array(0), "f16", [3, 0, 2])]);
    entries.push(["t", transpose(tensor([[1, 2], [3, 4]]), 0, 1)]);
    const metadata = { format: "pt", "2": "two", "1": "one", note: "ünïcødé ✓" };
    const file = serializeSafetensors(entries, metadata);
    const { tensors, metadata: meta } = parseSafetensors(file);
    assert.deepStrictEqual(meta, metadata);
    assert.deepStrictEqual([...tensors.keys()], entries.map(([n]) => n));
    for (const [name, t] of entries) {
      const got = tensors.get(name)!;
      assert.strictEqual(got.dtype, t.dtype, name);
      assert.deepStrictEqual([...got.shape], [...t.shape], name);
      assert.deepStrictEqual(bytes(got), bytes(t), name);
    }
    for (const [name] of everyDType()) assertValues(tensors.get(name)!, name.slice(2) as DType, [2, 3]);
    assert.deepStrictEqual(values(tensors.get("t")!), [1, 3, 2, 4]);
    assert.deepStrictEqual(values(tensors.get("scalar")!), [-7.5]);
  });
  assert.strictEqual(memory().tensors, before);
});

Deno.test("serialize: header as the reference lays it out (padded to 8 with spaces, given order, contiguous)", () => {
  scope(() => {
    const file = serializeSafetensors(
      new Map([
        ["zeta", tensor([1, 2, 3])],
        ["10", tensor([1], [1], { dtype: "i64" })],
        ["2", tensor([true, false])],
        ["alpha", cast(tensor([[1, 2]]), "bf16")],
      ]),
      { "9": "x", a: "y" },
    );
    const { length, text } = headerOf(file);
    assert.strictEqual(length % 8, 0);
    assert.strictEqual(file.length, 8 + length + 12 + 8 + 2 + 4);
    assert.match(text, /^\{.*\} *$/);
    assert.ok(length - text.trimEnd().length < 8, "at most 7 spaces of padding");
    // Keys in the given order even when integer-like (a plain JS object would reorder them).
    assert.strictEqual(
      text.trimEnd(),
      '{"__metadata__":{"9":"x","a":"y"},' +
        '"zeta":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},' +
        '"10":{"dtype":"I64","shape":[1],"data_offsets":[12,20]},' +
        '"2":{"dtype":"BOOL","shape":[2],"data_offsets":[20,22]},' +
        '"alpha":{"dtype":"BF16","shape":[1,2],"data_offsets":[22,26]}}',
    );
    const h = parseSafetensorsHeader(file);
    assert.deepStrictEqual(h.entries.map((e) => e.name), ["zeta", "10", "2", "alpha"]);
    assert.deepStrictEqual(h.entries.map((e) => e.dtype), ["f32", "i64", "bool", "bf16"]);
    assert.strictEqual(h.dataStart, 8 + length);
  });
});

Deno.test("hand-built fixture (DataView, unpadded header, out-of-order offsets, gap) reads back", () => {
  // Data buffer: [i64 x2][bool x3][pad 1][bf16 x2][f32 x2 (2x1)][f16 x1][f64 0-d]
  const payload = concat(
    le("i64", [2n ** 53n + 1n, -(2n ** 40n)]),
    le("u8", [1, 0, 1]),
    new Uint8Array([0xee]), // not covered by any tensor
    le("u16", [0x3fc0, 0xc000]),
    le("f32", [0.25, -8]),
    le("u16", [0x3800]),
    le("f64", [1 / 7]),
  );
  const header = {
    "w.f32": { dtype: "F32", shape: [2, 1], data_offsets: [24, 32] },
    "ids": { dtype: "I64", shape: [2], data_offsets: [0, 16] },
    "__metadata__": { format: "pt" },
    "mask": { dtype: "BOOL", shape: [3], data_offsets: [16, 19] },
    "h": { dtype: "BF16", shape: [2], data_offsets: [20, 24], extra_field: "ignored" },
    "half": { dtype: "F16", shape: [1, 1, 1], data_offsets: [32, 34] },
    "s": { dtype: "F64", shape: [], data_offsets: [34, 42] },
    "none": { dtype: "F32", shape: [0], data_offsets: [42, 42] },
  };
  const file = handFile(header, payload);
  assert.notStrictEqual(headerOf(file).length % 8, 0, "fixture header deliberately unpadded");
  const before = memory().tensors;
  scope(() => {
    const { tensors, metadata } = parseSafetensors(file, "fixture.safetensors");
    assert.deepStrictEqual(metadata, { format: "pt" });
    // In the order of their data in the file, whatever the header's key order.
    assert.deepStrictEqual([...tensors.keys()], ["ids", "mask", "h", "w.f32", "half", "s", "none"]);
    const get = (k: string) => tensors.get(k)!;
    assert.deepStrictEqual([...data(get("ids"))], [2n ** 53n + 1n, -(2n ** 40n)]);
    assert.deepStrictEqual([...data(get("mask"))], [1, 0, 1]);
    assert.strictEqual(get("mask").dtype, "bool");
    assert.deepStrictEqual(values(get("h")), [1.5, -2]);
    assert.strictEqual(get("h").dtype, "bf16");
    assert.deepStrictEqual([...get("w.f32").shape], [2, 1]);
    assert.deepStrictEqual(values(get("w.f32")), [0.25, -8]);
    assert.deepStrictEqual(values(get("half")), [0.5]);
    assert.strictEqual(get("s").rank, 0);
    assert.deepStrictEqual(values(get("s")), [1 / 7]);
    assert.deepStrictEqual([...get("none").shape], [0]);
  });
  assert.strictEqual(memory().tensors, before);
});

Deno.test("readSafetensors/writeSafetensors through a file; dtype casts floats only; scope owns the result", () => {
  withFile((dir) => {
    const path = `${dir}/model.safetensors`;
    scope(() => {
      const entries = everyDType().map(([n, t]): [string, Tensor] => [n, t]);
      writeSafetensors(path, entries, { step: "3" });
      assert.deepStrictEqual(readSafetensors(path).metadata, { step: "3" });
      assert.deepStrictEqual(Deno.readFileSync(path), serializeSafetensors(entries, { step: "3" }));
    });
    const before = memory().tensors;
    scope(() => {
      const { tensors } = readSafetensors(path, { dtype: "bf16" });
      assert.deepStrictEqual(
        [...tensors.values()].map((t) => t.dtype),
        ["bf16", "bf16", "bf16", "bf16", "i64", "i32", "bool", "i8"],
      );
      // 1/3 rounds to bf16's 0.333984375; 1e300 is beyond bf16's range.
      assert.deepStrictEqual(values(tensors.get("t_f64")!).slice(0, 2), [0.333984375, Infinity]);
      assertValues(tensors.get("t_i64")!, "i64", [2, 3]);
      assertValues(tensors.get("t_bf16")!, "bf16", [2, 3]);
    });
    assert.strictEqual(memory().tensors, before, "tensors read inside a scope are freed with it");
    const kept = readSafetensors(path, { dtype: "f64" }).tensors; // outside any scope: kept
    assert.strictEqual(kept.size, 8, "one tensor per dtype");
    assert.strictEqual(memory().tensors, before + 8);
    assert.strictEqual(kept.get("t_f32")!.dtype, "f64");
    for (const t of kept.values()) t.free();
    assert.strictEqual(memory().tensors, before);
  });
});

// ---------- PyTorch interop ----------

const PYTHON = "/usr/bin/python3";
// The reference lives in shared/ beside the repository (or inside it, in some checkouts).
const REFERENCE = ["../../shared/reference/transformer_ref.py", "../shared/reference/transformer_ref.py"]
  .map((p) => decodeURIComponent(new URL(p, import.meta.url).pathname))
  .find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });

function torchSkipReason(): string | undefined {
  try {
    const r = new Deno.Command(PYTHON, { args: ["-c", "import torch"], stdout: "null", stderr: "null" }).outputSync();
    return r.success ? undefined : `\`${PYTHON} -c "import torch"\` failed (PyTorch not installed)`;
  } catch {
    return `${PYTHON} cannot be run`;
  }
}

const SKIP_TORCH = torchSkipReason();
const SKIP_REFERENCE = SKIP_TORCH ??
  (REFERENCE === undefined ? "shared/reference/transformer_ref.py not found" : undefined);
if (SKIP_TORCH) console.warn(`safetensors_test: PyTorch interop tests skipped: ${SKIP_TORCH}`);
else if (SKIP_REFERENCE) console.warn(`safetensors_test: reference-writer interop test skipped: ${SKIP_REFERENCE}`);

function python(script: string, ...args: string[]): unknown {
  const prelude = `
import importlib.util, json, math, sys, struct
import torch
${
    REFERENCE === undefined ? "" : `
spec = importlib.util.spec_from_file_location("transformer_ref", ${JSON.stringify(REFERENCE)})
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)`
  }
`;
  const r = new Deno.Command(PYTHON, { args: ["-c", prelude + script, ...args], stdout: "piped", stderr: "piped" })
    .outputSync();
  if (!r.success) throw new Error(`python failed:\n${new TextDecoder().decode(r.stderr)}`);
  return JSON.parse(new TextDecoder().decode(r.stdout));
}

Deno.test({
  name: "PyTorch reference: its save_safetensors file reads here; its load_safetensors reads ours",
  ignore: SKIP_REFERENCE !== undefined,
  fn() {
    withFile((dir) => {
      const theirs = `${dir}/ref.safetensors`;
      const expected = python(
        `
g = torch.Generator().manual_seed(0)
sd = {"encoder.layers.0.w_q.weight": torch.randn(4, 3, generator=g),
      "encoder.norm.alpha": torch.randn(5, generator=g),
      "scalar": torch.tensor(2.5),
      "ids": torch.arange(6).reshape(2, 3)}  # saved as F32 by the reference
ref.save_safetensors(sd, sys.argv[1])
json.dump({k: {"shape": list(v.shape), "v": v.to(torch.float32).flatten().tolist()} for k, v in sd.items()}, sys.stdout)
`,
        theirs,
      ) as Record<string, { shape: number[]; v: number[] }>;
      const ours = `${dir}/ours.safetensors`;
      scope(() => {
        const { tensors } = readSafetensors(theirs);
        assert.deepStrictEqual([...tensors.keys()], Object.keys(expected));
        for (const [k, { shape, v }] of Object.entries(expected)) {
          const t = tensors.get(k)!;
          assert.strictEqual(t.dtype, "f32");
          assert.deepStrictEqual([...t.shape], shape, k);
          assert.deepStrictEqual(values(t), v.map(Math.fround), k);
        }
        writeSafetensors(ours, tensors, { source: "deno-torch" });
      });
      const back = python(
        `
sd = ref.load_safetensors(sys.argv[1])
json.dump({k: {"shape": list(v.shape), "v": v.flatten().tolist()} for k, v in sd.items()}, sys.stdout)
`,
        ours,
      );
      assert.deepStrictEqual(back, expected);
    });
  },
});

Deno.test({
  name: "PyTorch: its bytes for bf16/f16/i64/i32/f64/bool read here, and our file of every dtype reads there",
  ignore: SKIP_TORCH !== undefined,
  fn() {
    withFile((dir) => {
      // Python writes a file by hand from torch's own element bytes (the reference writer is F32-only).
      const theirs = `${dir}/dtypes.safetensors`;
      python(
        `
D = {torch.float32: "F32", torch.float64: "F64", torch.bfloat16: "BF16", torch.float16: "F16",
     torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL"}
def raw(t):
    t = t.contiguous()
    if t.dtype in (torch.bfloat16, torch.float16): t = t.view(torch.int16)
    return t.numpy().tobytes()
sd = {"bf16": torch.tensor([[1.5, -2.0], [0.0078125, 256.0]], dtype=torch.bfloat16),
      "f16": torch.tensor([0.5, -1.25, 65504.0], dtype=torch.float16),
      "i64": torch.tensor([2**40 + 3, -(2**33), 2**62 + 1], dtype=torch.int64),
      "i32": torch.tensor([-2**31, 2**31 - 1], dtype=torch.int32),
      "f64": torch.tensor(1 / 3, dtype=torch.float64),
      "bool": torch.tensor([True, False, True]),
      "empty": torch.zeros(0, 2)}
header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
for k, v in sd.items():
    b = raw(v)
    header[k] = {"dtype": D[v.dtype], "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(header).encode()
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h))); f.write(h); f.write(b"".join(blobs))
print("{}")
`,
        theirs,
      );
      const ours = `${dir}/ours.safetensors`;
      scope(() => {
        const { tensors, metadata } = readSafetensors(theirs);
        assert.deepStrictEqual(metadata, { format: "pt" });
        const get = (k: string) => tensors.get(k)!;
        assert.deepStrictEqual(
          [...tensors.values()].map((t) => t.dtype),
          ["bf16", "f16", "i64", "i32", "f64", "bool", "f32"],
        );
        assert.deepStrictEqual(values(get("bf16")), [1.5, -2, 0.0078125, 256]);
        assert.deepStrictEqual([...get("bf16").shape], [2, 2]);
        assert.deepStrictEqual(values(get("f16")), [0.5, -1.25, 65504]);
        assert.deepStrictEqual([...data(get("i64"))], [2n ** 40n + 3n, -(2n ** 33n), 2n ** 62n + 1n]);
        assert.deepStrictEqual(values(get("i32")), [-(2 ** 31), 2 ** 31 - 1]);
        assert.strictEqual(get("f64").rank, 0);
        assert.deepStrictEqual(values(get("f64")), [1 / 3]);
        assert.deepStrictEqual(values(get("bool")), [1, 0, 1]);
        assert.deepStrictEqual([...get("empty").shape], [0, 2]);
        writeSafetensors(ours, everyDType().map(([n, t]): [string, Tensor] => [n, t]));
      });
      // PyTorch reads our file with torch.frombuffer at our offsets and our dtypes.
      const back = python(
        `
T = {"F32": torch.float32, "F64": torch.float64, "BF16": torch.bfloat16, "F16": torch.float16,
     "I64": torch.int64, "I32": torch.int32, "BOOL": torch.bool, "I8": torch.int8}
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
out = {}
for k, m in header.items():
    a, b = m["data_offsets"]
    t = torch.frombuffer(bytearray(data[8 + n + a:8 + n + b]), dtype=T[m["dtype"]]).reshape(m["shape"])
    # Strings for what JSON cannot carry exactly: i64 beyond 2^53, and inf.
    v = [x if isinstance(x, bool) or (isinstance(x, float) and math.isfinite(x)) else str(x)
         for x in t.flatten().tolist()]
    out[k] = {"dtype": m["dtype"], "shape": list(t.shape), "v": v}
json.dump(out, sys.stdout)
`,
        ours,
      ) as Record<string, { dtype: string; shape: number[]; v: (number | boolean | string)[] }>;
      const num = (xs: readonly (number | boolean | string)[]) =>
        xs.map((x) => x === "inf" ? Infinity : x === "-inf" ? -Infinity : Number(x));
      assert.deepStrictEqual(Object.keys(back), [
        "t_f32",
        "t_f64",
        "t_bf16",
        "t_f16",
        "t_i64",
        "t_i32",
        "t_bool",
        "t_i8",
      ]);
      assert.deepStrictEqual(
        Object.values(back).map((x) => x.dtype),
        ["F32", "F64", "BF16", "F16", "I64", "I32", "BOOL", "I8"],
      );
      for (const x of Object.values(back)) assert.deepStrictEqual(x.shape, [2, 3]);
      assert.deepStrictEqual(num(back.t_f32.v), F32.map(Math.fround));
      assert.deepStrictEqual(num(back.t_f64.v), F64);
      assert.deepStrictEqual(num(back.t_bf16.v), BF16.map(([x]) => x));
      assert.deepStrictEqual(num(back.t_f16.v), F16.map(([x]) => x));
      assert.deepStrictEqual(back.t_i64.v.map((s) => BigInt(s as string)), I64);
      assert.deepStrictEqual(num(back.t_i32.v), I32);
      assert.deepStrictEqual(back.t_bool.v, BOOL.map(Boolean));
      assert.deepStrictEqual(num(back.t_i8.v), I8);
    });
  },
});

// ---------- malformed files ----------

const OK_ENTRY = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
const OK_DATA = le("f32", [1, 2]);

Deno.test("malformed: too short, truncated or absurd header length, bad UTF-8/JSON, not an object", () => {
  rejects(new Uint8Array(5), /5-byte file is too short/);
  rejects(new Uint8Array(0), /0-byte file is too short/);
  const truncated = handFile({ w: OK_ENTRY }, OK_DATA).subarray(0, 20);
  rejects(truncated, /header length \d+ runs past the end of the 20-byte file: \d+ bytes missing \(file truncated\?\)/);
  const absurd = new Uint8Array(64);
  new DataView(absurd.buffer).setBigUint64(0, 2n ** 40n, true);
  rejects(absurd, /header length 1099511627776 is absurd \(limit 100000000 bytes\)/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
  rejects(huge, /is absurd/);
  const badUtf8 = handFile("{}");
  const withFF = concat(badUtf8.subarray(0, 8), new Uint8Array([0x7b, 0xff])); // "{" then 0xff
  new DataView(withFF.buffer).setBigUint64(0, 2n, true);
  rejects(withFF, /header is not valid UTF-8/);
  rejects(handFile('{"w": {"dtype": "F32",'), /header is not valid JSON/);
  rejects(handFile(""), /header is not valid JSON/);
  rejects(handFile("[1, 2]"), /header must be a JSON object, got an array/);
  rejects(handFile("null"), /header must be a JSON object, got null/);
  rejects(handFile("42"), /header must be a JSON object, got 42/);
});

Deno.test("malformed entries: missing or mistyped fields, unknown/unsupported dtypes, bad shapes", () => {
  const one = (entry: unknown, payload = OK_DATA) => handFile({ "encoder.w": entry }, payload);
  rejects(one(7), /tensor "encoder.w": entry must be an object with dtype, shape and data_offsets, got 7/);
  rejects(one([1]), /tensor "encoder.w": entry must be an object/);
  rejects(one({ shape: [2], data_offsets: [0, 8] }), /tensor "encoder.w": entry has no "dtype"/);
  rejects(one({ dtype: "F32", data_offsets: [0, 8] }), /tensor "encoder.w": entry has no "shape"/);
  rejects(one({ dtype: "F32", shape: [2] }), /tensor "encoder.w": entry has no "data_offsets"/);
  rejects(one({ ...OK_ENTRY, dtype: 4 }), /tensor "encoder.w": dtype must be a string, got 4/);
  rejects(
    one({ ...OK_ENTRY, dtype: "F33" }),
    /tensor "encoder.w": unknown dtype "F33" \(supported: F32, F64, F16, BF16/,
  );
  rejects(one({ ...OK_ENTRY, dtype: "f32" }), /unknown dtype "f32"/);
  const u8 = rejects(one({ dtype: "U8", shape: [8], data_offsets: [0, 8] }), /dtype U8 is not supported/);
  assert.strictEqual(u8.tensor, "encoder.w");
  assert.strictEqual(u8.source, "bad.safetensors");
  rejects(one({ dtype: "I16", shape: [4], data_offsets: [0, 8] }), /tensor "encoder.w": dtype I16 is not supported/);
  rejects(one({ ...OK_ENTRY, shape: "2" }), /tensor "encoder.w": shape must be an array of sizes, got "2"/);
  rejects(one({ ...OK_ENTRY, shape: [-2] }), /shape entries must be non-negative integers, got \[-2\]/);
  rejects(one({ ...OK_ENTRY, shape: [1.5] }), /shape entries must be non-negative integers, got \[1.5\]/);
  rejects(one({ ...OK_ENTRY, shape: ["2"] }), /shape entries must be non-negative integers, got \["2"\]/);
  rejects(one({ ...OK_ENTRY, shape: [null] }), /shape entries must be non-negative integers/);
  rejects(one({ ...OK_ENTRY, shape: new Array(65).fill(1), data_offsets: [0, 4] }), /65 dimensions, at most 64/);
});

Deno.test("malformed offsets: wrong form, begin > end, beyond the data (bytes missing), size, overlaps", () => {
  const one = (offsets: unknown, extra: Record<string, unknown> = {}) =>
    handFile({ "encoder.norm.alpha": { ...OK_ENTRY, ...extra, data_offsets: offsets } }, OK_DATA);
  const name = /tensor "encoder.norm.alpha": /;
  rejects(one(undefined), /entry has no "data_offsets"/);
  rejects(one("0-8"), /data_offsets must be two non-negative integers \[begin, end\], got "0-8"/);
  rejects(one([0]), /data_offsets must be two non-negative integers \[begin, end\], got \[0\]/);
  rejects(one([0, 8, 9]), /data_offsets must be two non-negative integers/);
  rejects(one([0, 7.5]), /data_offsets must be two non-negative integers/);
  rejects(one([-1, 8]), /data_offsets must be two non-negative integers/);
  rejects(one([0, "8"]), /data_offsets must be two non-negative integers/);
  rejects(one([8, 0]), /data_offsets \[8, 0\] begin after end/);
  rejects(one([4, 8]), /data_offsets \[4, 8\] hold 4 bytes, but shape \[2\] of F32 needs 8 \(2 x 4\)/);
  rejects(one([0, 8], { shape: [3] }), /hold 8 bytes, but shape \[3\] of F32 needs 12/);
  // The example from the spec of this module: 400 bytes claimed, a 256-byte data buffer.
  const truncated = handFile(
    { "encoder.norm.alpha": { dtype: "F32", shape: [100], data_offsets: [0, 400] } },
    new Uint8Array(256),
  );
  const e = rejects(truncated, name, "model.safetensors");
  assert.strictEqual(
    e.message,
    'model.safetensors: tensor "encoder.norm.alpha": data_offsets [0, 400] end beyond the 256-byte data buffer: ' +
      "144 bytes missing (file truncated?)",
  );
  // A real file cut short: the last tensor's bytes are missing.
  const full = scope(() => serializeSafetensors([["a", tensor([1, 2])], ["b", tensor([3, 4, 5])]]));
  rejects(
    full.subarray(0, full.length - 5),
    /tensor "b": data_offsets \[8, 20\] end beyond the 15-byte data buffer: 5 bytes missing/,
  );
  // Overlaps name both tensors.
  const overlapping = handFile({
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [2], data_offsets: [12, 20] },
    c: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
  }, new Uint8Array(20));
  rejects(overlapping, /tensor "c": data_offsets \[4, 12\] overlap tensor "a" at \[0, 8\]/);
  const same = handFile({
    a: { dtype: "I32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
  }, new Uint8Array(8));
  rejects(same, /tensor "b": data_offsets \[0, 8\] overlap tensor "a" at \[0, 8\]/);
  // Empty tensors may sit anywhere inside the data buffer.
  scope(() => {
    const ok = handFile({
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      e: { dtype: "F32", shape: [0, 5], data_offsets: [4, 4] },
    }, OK_DATA);
    assert.deepStrictEqual([...parseSafetensors(ok).tensors.get("e")!.shape], [0, 5]);
  });
});

Deno.test("malformed __metadata__: not an object, or values that are not strings", () => {
  const withMeta = (meta: unknown) => handFile({ __metadata__: meta, w: OK_ENTRY }, OK_DATA);
  rejects(withMeta("pt"), /__metadata__ must be an object of strings, got "pt"/);
  rejects(withMeta(null), /__metadata__ must be an object of strings, got null/);
  rejects(withMeta(["a"]), /__metadata__ must be an object of strings/);
  rejects(withMeta({ format: "pt", epoch: 3 }), /__metadata__ must map strings to strings, but "epoch" is 3/);
  rejects(withMeta({ nested: { a: "b" } }), /but "nested" is \{"a":"b"\}/);
});

Deno.test("a file bad only at its last tensor builds nothing; the process keeps working afterwards", () => {
  const entries: Record<string, unknown> = {};
  let offset = 0;
  for (let i = 0; i < 10; i++) {
    entries[`layer.${i}`] = { dtype: "F32", shape: [4], data_offsets: [offset, offset + 16] };
    offset += 16;
  }
  entries["layer.last"] = { dtype: "F32", shape: [4], data_offsets: [offset, offset + 16] };
  const file = handFile(entries, new Uint8Array(offset + 8), true);
  const before = memory();
  rejects(file, /tensor "layer.last": data_offsets \[160, 176\] end beyond the 168-byte data buffer: 8 bytes missing/);
  assert.deepStrictEqual(memory(), before);
  // And a good file parses right after.
  scope(() => {
    const good = handFile(entries, new Uint8Array(offset + 16), true);
    assert.strictEqual(parseSafetensors(good).tensors.size, 11);
  });
  assert.deepStrictEqual(memory(), before);
});

Deno.test("readSafetensors names the path in errors; a missing file is Deno's NotFound", () => {
  withFile((dir) => {
    const path = `${dir}/cut.safetensors`;
    const full = scope(() => serializeSafetensors([["w", tensor([1, 2, 3, 4])]]));
    Deno.writeFileSync(path, full.subarray(0, full.length - 3));
    assert.throws(() => readSafetensors(path), (e: unknown) => {
      assert.ok(e instanceof SafetensorsError);
      assert.strictEqual(e.source, path);
      assert.match(
        e.message,
        new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: tensor "w": .*3 bytes missing`),
      );
      return true;
    });
    assert.throws(() => readSafetensors(`${dir}/nope.safetensors`), Deno.errors.NotFound);
  });
});

// ---------- writing ----------

Deno.test("write: duplicate, empty or reserved names and non-string metadata are refused before any file exists", () => {
  withFile((dir) => {
    const path = `${dir}/m.safetensors`;
    scope(() => {
      const t = tensor([1, 2]);
      const refuse = (entries: [string, Tensor][], pattern: RegExp, meta?: Record<string, string>) => {
        assert.throws(() => writeSafetensors(path, entries, meta), (e: unknown) => {
          assert.ok(e instanceof SafetensorsError, String(e));
          assert.match(e.message, pattern);
          assert.ok(e.message.startsWith(`${path}: `));
          return true;
        });
        assert.throws(() => serializeSafetensors(entries, meta), SafetensorsError);
        assert.deepStrictEqual(listDir(dir), []);
      };
      refuse([["a", t], ["b", t], ["a", t]], /tensor "a": tensor name given twice/);
      refuse([["", t]], /tensor names must be non-empty strings, got ""/);
      refuse([["__metadata__", t]], /"__metadata__" is reserved/);
      refuse(
        [["a", t]],
        /metadata must map strings to strings, but "n" is 3/,
        { n: 3 } as unknown as Record<string, string>,
      );
      const freed = tensor([1]);
      freed.free();
      assert.throws(() => writeSafetensors(path, [["a", t], ["gone", freed]]), FreedTensorError);
      assert.deepStrictEqual(listDir(dir), []);
    });
  });
});

Deno.test("write is atomic: no tmp file left; a missing folder fails cleanly; a failed write keeps the old file", () => {
  withFile((dir) => {
    const path = `${dir}/model.safetensors`;
    scope(() => {
      writeSafetensors(path, [["w", tensor([1, 2, 3])]]);
      assert.deepStrictEqual(listDir(dir), ["model.safetensors"]);
      const old = Deno.readFileSync(path);
      // Overwrite: replaced as a whole, nothing else left in the folder.
      writeSafetensors(path, [["w", tensor([4, 5])], ["b", tensor([6])]]);
      assert.deepStrictEqual(listDir(dir), ["model.safetensors"]);
      assert.deepStrictEqual(values(readSafetensors(path).tensors.get("w")!), [4, 5]);
      writeSafetensors(path, [["w", tensor([1, 2, 3])]]);
      assert.deepStrictEqual(Deno.readFileSync(path), old);

      // A folder that does not exist: the error is Deno's, and nothing is created anywhere.
      assert.throws(() => writeSafetensors(`${dir}/missing/m.safetensors`, [["w", tensor([1])]]), Deno.errors.NotFound);
      assert.deepStrictEqual(listDir(dir), ["model.safetensors"]);

      // A tensor that fails halfway through the stream (its handle disappears after the checks): the
      // old file is untouched and the temporary file is gone.
      const real = tensor([7, 8, 9]);
      let reads = 0;
      const vanishing = new Proxy(real, {
        get(target, prop) {
          if (prop === "handle") return reads++ === 0 ? target.handle : null;
          return Reflect.get(target, prop, target);
        },
      });
      assert.throws(
        () => writeSafetensors(path, [["a", tensor([1, 2])], ["b", vanishing as Tensor]]),
        FreedTensorError,
      );
      assert.ok(reads >= 2, "the proxy was read in the streaming pass");
      assert.deepStrictEqual(listDir(dir), ["model.safetensors"]);
      assert.deepStrictEqual(Deno.readFileSync(path), old);

      // The rename itself fails (the target is a non-empty folder): the folder and its content stay,
      // and the fully written temporary file is removed.
      Deno.mkdirSync(`${dir}/taken`);
      Deno.writeFileSync(`${dir}/taken/keep.txt`, enc.encode("keep"));
      assert.throws(() => writeSafetensors(`${dir}/taken`, [["w", tensor([1])]]));
      assert.deepStrictEqual(listDir(dir), ["model.safetensors", "taken"]);
      assert.deepStrictEqual(listDir(`${dir}/taken`), ["keep.txt"]);
    });
  });
});

// ---------- matchState ----------

Deno.test("matchState: every missing key, unexpected key and shape mismatch named in one error", () => {
  scope(() => {
    const got = new Map<string, Tensor>([
      ["encoder.w_q", tensor(new Float32Array(16), [4, 4])],
      ["encoder.b", tensor([1, 2, 3])],
      ["x", tensor([1])],
      ["ok", tensor([1, 2])],
    ]);
    const expected: [string, number[]][] = [
      ["a.b", [2]],
      ["encoder.w_q", [8, 8]],
      ["c.d", []],
      ["encoder.b", [3]],
      ["ok", [2]],
    ];
    assert.throws(() => matchState(expected, got, "model.safetensors"), (e: unknown) => {
      assert.ok(e instanceof StateMismatchError);
      assert.ok(e instanceof SafetensorsError);
      assert.strictEqual(
        e.message,
        "model.safetensors: state does not match the model: missing: a.b, c.d; unexpected: x; " +
          "shape mismatch: encoder.w_q [4, 4] in the file, [8, 8] expected",
      );
      assert.deepStrictEqual(e.missing, ["a.b", "c.d"]);
      assert.deepStrictEqual(e.unexpected, ["x"]);
      assert.deepStrictEqual(e.shapeMismatches, [{ name: "encoder.w_q", got: [4, 4], expected: [8, 8] }]);
      return true;
    });
    // Rank differences are mismatches too; allowUnexpected ignores extra keys.
    assert.throws(
      () => matchState([["ok", [2, 1]]], got, "f", { allowUnexpected: true }),
      /ok \[2\] in the file, \[2, 1\] expected/,
    );
    matchState([["ok", [2]], ["encoder.b", [3]]], got, "f", { allowUnexpected: true });
    matchState(
      [...got].map(([k, t]): [string, readonly number[]] => [k, t.shape]),
      got,
      "f",
    );
    // Long lists are cut in the message but kept whole on the error.
    const many = Array.from({ length: 40 }, (_, i): [string, number[]] => [`p${i}`, [1]]);
    assert.throws(() => matchState(many, new Map(), "f"), (e: unknown) => {
      assert.ok(e instanceof StateMismatchError);
      assert.strictEqual(e.missing.length, 40);
      assert.match(e.message, /p24, \.\.\. \(15 more\)$/);
      return true;
    });
  });
});

Deno.test("bytesInto: a tensor's bytes into the front of a scratch buffer; a short buffer is a RangeError naming both sizes", () => {
  scope(() => {
    const t = tensor([1, 2, 3]);
    const scratch = new Uint8Array(16).fill(7);
    const view = bytesInto(t, scratch);
    assert.deepEqual(Array.from(new Float32Array(view.buffer, 0, 3)), [1, 2, 3]);
    assert.equal(scratch[12], 7); // past the tensor's 12 bytes: untouched
    assert.throws(
      () => bytesInto(t, new Uint8Array(8)),
      (e: Error) => e instanceof RangeError && /8 bytes.*12/.test(e.message),
    );
  });
});
