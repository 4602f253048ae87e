/**
 * `deno task push` against a loopback server that records what a Hugging Face hub would receive
 * (the hub itself is unreachable here): --dry-run sends nothing; a push creates the repository and
 * commits the folder's files, byte for byte, with a generated model card; an existing repository
 * gets a new commit; a missing token and a bad folder are clear errors.
 */
import assert from "node:assert/strict";
import { denoTask } from "./helpers/deno.ts";
/** Bytes of a base64 string. */
const decodeBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const MODEL = `${ROOT}tests/fixtures/parity/small`;
const FILES = ["config.json", "model.safetensors", "tokenizer_en.json", "tokenizer_it.json", "README.md"];

interface Seen {
  method: string;
  path: string;
  auth: string | null;
  body: string;
}

function fakeHub(opts: { exists?: boolean } = {}) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = await req.text();
    seen.push({ method: req.method, path, auth: req.headers.get("authorization"), body });
    if (path === "/api/repos/create") {
      return opts.exists
        ? Response.json({ error: "You already created this model repo" }, { status: 409 })
        : Response.json({ url: "http://hub/someone/tiny" });
    }
    if (path.endsWith("/preupload/main")) {
      return Response.json({
        files: JSON.parse(body).files.map((f: { path: string }) => ({ path: f.path, uploadMode: "regular" })),
      });
    }
    if (path.endsWith("/commit/main")) {
      return Response.json({ commitOid: "c0ffee", commitUrl: "http://hub/c", hookOutput: "" });
    }
    return new Response("not found", { status: 404 });
  });
  return { seen, server, url: `http://127.0.0.1:${server.addr.port}` };
}

const push = (args: string[], env: Record<string, string>) => denoTask("push", args, env);

Deno.test("push: --dry-run lists the files and the card, and sends nothing", async () => {
  const hub = fakeHub();
  try {
    const r = await push(["--model", MODEL, "--repo", "someone/tiny", "--dry-run"], { HF_ENDPOINT: hub.url });
    assert.equal(r.code, 0, r.stderr);
    for (const f of FILES) assert.match(r.stdout, new RegExp(`^  ${f.replace(".", "\\.")} `, "m"));
    assert.match(r.stdout, /language:\n- en\n- it/);
    assert.match(r.stdout, /deno task translate --model hf:someone\/tiny/);
    assert.equal(hub.seen.length, 0);
  } finally {
    await hub.server.shutdown();
  }
});

Deno.test("push: creates the repository and commits every file byte for byte, with the model card", async () => {
  for (const exists of [false, true]) {
    const hub = fakeHub({ exists });
    try {
      const r = await push(["--model", MODEL, "--repo", "someone/tiny"], {
        HF_ENDPOINT: hub.url,
        HF_TOKEN: "hf_secret",
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /commit c0ffee/);
      assert.ok(hub.seen.every((s) => s.auth === "Bearer hf_secret"), "the token is sent with every request");
      assert.deepEqual(JSON.parse(hub.seen[0].body), {
        name: "tiny",
        organization: "someone",
        type: "model",
        private: false,
      });
      const commit = hub.seen.find((s) => s.path === "/api/models/someone/tiny/commit/main");
      assert.ok(commit, `a commit was made (${hub.seen.map((s) => s.path).join(", ")})`);
      const lines = commit.body.trim().split("\n").map((l) => JSON.parse(l));
      const files = new Map<string, Uint8Array>(
        lines.filter((l) => l.key === "file").map((l) => [l.value.path, decodeBase64(l.value.content)]),
      );
      assert.deepEqual([...files.keys()].sort(), [...FILES].sort());
      for (const f of FILES.filter((f) => f !== "README.md")) {
        assert.deepEqual(files.get(f), await Deno.readFile(`${MODEL}/${f}`), `${f} arrives unchanged`);
      }
      const card = new TextDecoder().decode(files.get("README.md"));
      assert.match(card, /^---\nlanguage:\n- en\n- it\n/);
      assert.match(card, /\| d_model \| 32 \|/);
    } finally {
      await hub.server.shutdown();
    }
  }
});

Deno.test("push: a missing token, a bad repository name and an unusable folder are clear errors", async () => {
  const hub = fakeHub();
  try {
    const env = { HF_ENDPOINT: hub.url, HF_TOKEN: "" };
    const cases: [string[], number, RegExp][] = [
      [["--model", MODEL, "--repo", "someone/tiny"], 2, /HF_TOKEN is not set/],
      [["--model", MODEL, "--repo", "no-slash"], 2, /--repo must look like user\/name/],
      [
        ["--model", `${ROOT}tests`, "--repo", "someone/tiny", "--dry-run"],
        2,
        /is not a usable model folder: .*config\.json/,
      ],
      [["--repo", "someone/tiny"], 2, /--model DIR is required/],
    ];
    for (const [args, code, message] of cases) {
      const r = await push(args, env);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, message);
    }
    assert.equal(hub.seen.length, 0, "nothing was sent");
  } finally {
    await hub.server.shutdown();
  }
});
