/**
 * `deno task serve`'s app on loopback: the page and its assets under security headers, the JSON
 * API against in-process translation, every kind of bad request answered with a 4xx JSON error, a
 * decoding failure answered with 500 while the server keeps serving, batching of concurrent
 * requests, and a bounded load test.
 */
import assert from "node:assert/strict";
import { loadModelFolder } from "../nmt/io/folder.ts";
import { translate } from "../nmt/decode/translate.ts";
import { countParams } from "../lib/tree.ts";
import { free } from "../lib/scope.ts";
import { createApp } from "../nmt/serve/server.ts";
import { loadTest } from "../nmt/serve/load.ts";
import { denoTask } from "./helpers/deno.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const MODEL = `${ROOT}tests/fixtures/parity/small`;
const SENTENCES = Deno.readTextFileSync(`${ROOT}tests/fixtures/sentences_en_it.jsonl`).trim().split("\n")
  .map((l) => JSON.parse(l).en as string);

async function withServer(
  fn: (base: string, app: ReturnType<typeof createApp>) => Promise<void>,
  folder = loadModelFolder(MODEL),
) {
  const app = createApp(folder, { windowMs: 5, maxBodyBytes: 64 * 1024 });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.handler);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, app);
  } finally {
    await server.shutdown();
  }
}

const post = (base: string, body: unknown, raw = false) =>
  fetch(`${base}/api/translate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ? body as string : JSON.stringify(body),
  });

Deno.test("serve: page, assets, health and model info, with security headers; nothing else is served", async () => {
  const folder = loadModelFolder(MODEL);
  await withServer(async (base) => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /text\/html/);
    assert.match(page.headers.get("content-security-policy")!, /default-src 'self'/);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    const html = await page.text();
    assert.match(html, /<script src="\/app.js"/);
    assert.ok(!/https?:\/\//.test(html), "no external assets");
    for (const [path, type] of [["/app.js", /javascript/], ["/app.css", /text\/css/]] as const) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type")!, type);
      assert.ok(!/https?:\/\//.test(await r.text()), `${path} loads nothing external`);
    }
    for (const path of ["/nope", "/../deno.json", "/nmt/serve/server.ts", "/api/translate/x"]) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 404, path);
      assert.deepEqual(await r.json(), { error: "not found" });
    }
    const wrong = await fetch(`${base}/api/translate`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
    await wrong.body?.cancel();

    const health = await (await fetch(`${base}/api/health`)).json();
    assert.equal(health.status, "ok");
    const model = await (await fetch(`${base}/api/model`)).json();
    assert.equal(model.parameters, countParams(folder.model.params));
    assert.deepEqual(model.vocab, { src: folder.srcTokenizer.vocabSize, tgt: folder.tgtTokenizer.vocabSize });
    assert.equal(model.config.d_model, folder.model.config.dModel);
    assert.equal(model.config.N, folder.model.config.layers);
  }, folder);
});

Deno.test("serve: translations agree with in-process translate (greedy, beam with n-best, attention)", async () => {
  const folder = loadModelFolder(MODEL);
  await withServer(async (base) => {
    const [one] = await translate(folder, [SENTENCES[0]]);
    const single = await (await post(base, { text: SENTENCES[0] })).json();
    assert.equal(single.text, one.text);
    assert.deepEqual(single.tokens, one.tokens);
    assert.equal(single.score, one.score);

    const many = await translate(folder, SENTENCES.slice(0, 5));
    const list = await (await post(base, { texts: SENTENCES.slice(0, 5) })).json();
    assert.deepEqual(list.translations.map((t: { text: string }) => t.text), many.map((t) => t.text));

    const [beam] = await translate(folder, [SENTENCES[1]], { beam: 3, nbest: 2 });
    const b = await (await post(base, { text: SENTENCES[1], beam: 3, nbest: 2 })).json();
    assert.equal(b.text, beam.text);
    assert.equal(b.nbest.length, 2);
    assert.equal(b.nbest[0].text, beam.text);
    assert.ok(b.nbest[0].score >= b.nbest[1].score);

    const a = await (await post(base, { text: SENTENCES[2], attention: true })).json();
    const { sourceTokens, targetTokens, weights } = a.attention;
    assert.equal(weights.length, targetTokens.length);
    for (const row of weights) {
      assert.equal(row.length, sourceTokens.length);
      const total = row.reduce((s: number, w: number) => s + w, 0);
      assert.ok(Math.abs(total - 1) < 1e-4, `each row is a distribution over source positions (sum ${total})`);
    }
  }, folder);
});

Deno.test("serve: bad requests get a 4xx JSON error naming the problem", async () => {
  await withServer(async (base) => {
    const cases: [unknown, number, RegExp, boolean?][] = [
      ["{not json", 400, /invalid JSON/, true],
      [[1, 2], 400, /must be a JSON object/],
      [{}, 400, /exactly one of "text" or "texts"/],
      [{ text: "a", texts: ["b"] }, 400, /exactly one of/],
      [{ text: "" }, 400, /"text" is empty/],
      [{ text: "   " }, 400, /"text" is empty/],
      [{ text: 42 }, 400, /"text" must be a string/],
      [{ texts: "hello" }, 400, /"texts" must be an array/],
      [{ texts: [] }, 400, /"texts" is empty/],
      [{ texts: ["ok", 7] }, 400, /"texts"\[1\] must be a string/],
      [{ texts: Array(65).fill("hi") }, 413, /too many texts: 65, at most 64/],
      [{ text: "x".repeat(1001) }, 413, /1001 characters, at most 1000/],
      [{ text: "hi", beam: 99 }, 400, /"beam" must be an integer from 1 to 8/],
      [{ text: "hi", beam: 2, nbest: 3 }, 400, /"nbest" must be an integer from 1 to 2/],
      [{ text: "hi", beam: 1.5 }, 400, /"beam" must be an integer/],
      [{ text: "hi", lengthPenalty: "huge" }, 400, /"lengthPenalty" must be none, average or gnmt:ALPHA/],
      [{ text: "hi", attention: "yes" }, 400, /"attention" must be true or false/],
      [{ texts: ["a", "b"], attention: true }, 400, /one text at a time/],
      [{ text: "hi", temperature: 2 }, 400, /unknown field\(s\) "temperature"/],
      [JSON.stringify({ text: "y".repeat(70 * 1024) }), 413, /at most 65536/, true],
    ];
    for (const [body, status, message, raw] of cases) {
      const r = await post(base, body, raw);
      assert.equal(r.status, status, JSON.stringify(body).slice(0, 80));
      assert.match(r.headers.get("content-type")!, /application\/json/);
      assert.match((await r.json()).error, message);
    }
    // Still serving after all that.
    assert.equal((await (await post(base, { text: SENTENCES[0] })).json()).source, SENTENCES[0]);
  });
});

Deno.test("serve: a decoding failure is a 500 with a message, and the server keeps serving", async () => {
  const broken = loadModelFolder(MODEL);
  free(broken.model.params.projection_layer); // the decoder's last layer is gone: every decode fails
  await withServer(async (base) => {
    const r = await post(base, { text: SENTENCES[0] });
    assert.equal(r.status, 500);
    assert.match((await r.json()).error, /translation failed: .*freed/i);
    const health = await fetch(`${base}/api/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  }, broken);
});

Deno.test("serve: concurrent requests are decoded together, each answered with its own translation", async () => {
  const folder = loadModelFolder(MODEL);
  await withServer(async (base, app) => {
    const texts = Array.from({ length: 24 }, (_, i) => SENTENCES[i % SENTENCES.length]);
    const expected = (await translate(folder, texts)).map((t) => t.text);
    const before = { ...app.batcher.stats };
    const answers = await Promise.all(texts.map(async (text) => (await (await post(base, { text })).json()).text));
    assert.deepEqual(answers, expected);
    const batches = app.batcher.stats.batches - before.batches;
    assert.equal(app.batcher.stats.jobs - before.jobs, 24);
    assert.ok(batches < 24 / 2, `24 concurrent requests took ${batches} decodes`);

    // A bounded load test: 8 clients, 48 requests, no errors.
    const load = await loadTest(base, { clients: 8, requests: 48, sentences: SENTENCES });
    assert.equal(load.errors, 0);
    assert.equal(load.requests, 48);
    assert.ok(load.p50 <= load.p99 && load.requestsPerSecond > 0);
  }, folder);
});

Deno.test("deno task serve: bad flags exit 2 naming the flag, an unusable model exits 1, --help exits 0", async () => {
  const cases: [string[], number, RegExp][] = [
    [[], 2, /^serve: --model DIR is required$/m],
    [["--model", MODEL, "--port", "70000"], 2, /^serve: --port must be 0-65535, got 70000$/m],
    [["--model", MODEL, "--port", "abc"], 2, /^serve: --port must be 0-65535, got abc$/m],
    [["--model", MODEL, "--port", "1.5"], 2, /^serve: --port must be 0-65535, got 1\.5$/m],
    [["--model", MODEL, "--window-ms=-1"], 2, /^serve: --window-ms must be ≥ 0, got -1$/m],
    [["--model", MODEL, "--window-ms", "soon"], 2, /^serve: --window-ms must be ≥ 0, got soon$/m],
    [["--bogus"], 2, /^serve: Unknown option '--bogus'$/m],
    [["--model", "/nonexistent-model-folder"], 1, /^serve: cannot load the model: .*nonexistent-model-folder/m],
  ];
  for (const [args, code, message] of cases) {
    const r = await denoTask("serve", args);
    assert.equal(r.code, code, `serve ${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message, `serve ${args.join(" ")}`);
  }
  const help = await denoTask("serve", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task serve --model DIR/);
});
