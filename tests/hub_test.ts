/**
 * `--model hf:user/name`: a loopback server stands in for the Hugging Face hub (HF_ENDPOINT). The
 * first use downloads the folder into the cache (with HF_TOKEN sent), later uses load it from there
 * without a request, and an unreachable hub or a missing repository is a clear error that leaves no
 * partial folder behind.
 */
import assert from "node:assert/strict";
import { loadModelFolder } from "../nmt/io/folder.ts";
import { translate } from "../nmt/decode/translate.ts";
import { HubError, parseHubRef } from "../nmt/io/hub.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const MODEL = `${ROOT}tests/fixtures/parity/small`;

Deno.test("parseHubRef: user/name, an optional revision, and clear errors", () => {
  assert.equal(parseHubRef("runs/x"), null);
  assert.deepEqual(parseHubRef("hf:someone/en-it"), { repo: "someone/en-it", revision: "main" });
  assert.deepEqual(parseHubRef("hf:someone/en-it@v1.0"), { repo: "someone/en-it", revision: "v1.0" });
  for (const bad of ["hf:", "hf:noslash", "hf:a/b/c", "hf:a/b@"]) {
    assert.throws(() => parseHubRef(bad), HubError, bad);
  }
});

Deno.test("translate --model hf:user/name: downloaded once into the cache, then offline; clear errors", async () => {
  const requests: { path: string; auth: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    requests.push({ path, auth: req.headers.get("authorization") });
    const m = /^\/someone\/tiny-en-it\/resolve\/main\/([\w.]+)$/.exec(path);
    if (!m) return new Response("Repository not found", { status: 404 });
    try {
      return new Response(await Deno.readFile(`${MODEL}/${m[1]}`));
    } catch {
      return new Response("Entry not found", { status: 404 });
    }
  });
  const cache = await Deno.makeTempDir({ prefix: "hub_cache_" });
  const sentence = "The dog runs in the garden.";
  const run = async (model: string, endpoint = `http://127.0.0.1:${server.addr.port}`) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "translate", "--model", model, sentence],
      cwd: ROOT,
      env: { HF_ENDPOINT: endpoint, DENO_TORCH_CACHE: cache, HF_TOKEN: "secret-token" },
    }).output();
    const text = new TextDecoder();
    return { code, stdout: text.decode(stdout).trim(), stderr: text.decode(stderr) };
  };
  try {
    const [expected] = await translate(loadModelFolder(MODEL), [sentence]);

    const first = await run("hf:someone/tiny-en-it");
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, expected.text);
    assert.deepEqual(
      requests.map((r) => r.path).sort(),
      ["config.json", "model.safetensors", "tokenizer_en.json", "tokenizer_it.json"]
        .map((f) => `/someone/tiny-en-it/resolve/main/${f}`).sort(),
    );
    assert.ok(requests.every((r) => r.auth === "Bearer secret-token"), "HF_TOKEN is sent");

    requests.length = 0;
    const again = await run("hf:someone/tiny-en-it", "http://127.0.0.1:9"); // the hub is not even reachable now
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, expected.text);
    assert.equal(requests.length, 0, "the cached folder is used without a request");

    const offline = await run("hf:someone/other", "http://127.0.0.1:9");
    assert.equal(offline.code, 1);
    assert.match(
      offline.stderr,
      /cannot download hf:someone\/other: http:\/\/127\.0\.0\.1:9 cannot be reached \(offline\?\)/,
    );
    assert.match(offline.stderr, /pass --model DIR/);

    const missing = await run("hf:someone/nothing-here");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot download hf:someone\/nothing-here: .*404/);

    const bad = await run("hf:not-a-repo");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is not a hub model: expected hf:user\/name/);

    // Only the complete download is in the cache: no partial folders from the failures.
    const left: string[] = [];
    for await (const e of Deno.readDir(`${cache}/hub`)) left.push(e.name);
    assert.deepEqual(left, ["someone--tiny-en-it"]);
  } finally {
    await server.shutdown();
    await Deno.remove(cache, { recursive: true });
  }
});
