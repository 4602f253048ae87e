/**
 * opus_books: the cache location, reading a pre-populated cache, downloading from a loopback
 * server (atomically, once), and the error when the hub cannot be reached. No test uses the network.
 */
import assert from "node:assert/strict";
import {
  defaultCacheDir,
  fetchOpusBooks,
  loadOpusBooks,
  opusBooksCachePath,
  opusBooksConfig,
  opusBooksUrl,
} from "../nmt/data/opus_books.ts";
import { DownloadError } from "../nmt/io/download.ts";
import { opusBooksParquet } from "./helpers/parquet.ts";

// The download tests talk to 127.0.0.1 only; they need --allow-net (deno task test grants 127.0.0.1).
const loopback = Deno.permissions.querySync({ name: "net", host: "127.0.0.1" }).state === "granted";

const ROWS = [
  { en: "The Wanderer", it: "Il viandante" },
  { en: "  Chapter I ", it: "Capitolo I" },
  { en: "", it: "Vuoto" },
];

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "opus_books_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Sets environment variables for the duration of `body` (undefined unsets), then restores them. */
function withEnv(vars: Record<string, string | undefined>, body: () => void): void;
function withEnv(vars: Record<string, string | undefined>, body: () => Promise<void>): Promise<void>;
function withEnv(vars: Record<string, string | undefined>, body: () => void | Promise<void>): void | Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  };
  apply(vars);
  let result: void | Promise<void>;
  try {
    result = body();
  } catch (e) {
    apply(saved);
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => apply(saved));
  apply(saved);
}

/** A port on the loopback that nothing listens on: bound, then released. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Serves `respond` on the loopback for the duration of `body`, counting requests. */
async function withServer(
  respond: (req: Request) => Response,
  body: (url: string, requests: () => number) => Promise<void>,
): Promise<void> {
  let count = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    count++;
    return respond(req);
  });
  try {
    await body(`http://127.0.0.1:${server.addr.port}/en-it/train/0000.parquet`, () => count);
  } finally {
    await server.shutdown();
  }
}

/** Everything under `dir`, as paths relative to it. */
async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = `${prefix}${e.name}`;
    if (e.isDirectory) out.push(...await listTree(`${dir}/${e.name}`, `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}

Deno.test("opus_books: the cache folder follows HF_HOME, then XDG_CACHE_HOME, then ~/.cache", () => {
  const unset = { HF_HOME: undefined, XDG_CACHE_HOME: undefined };
  withEnv({ ...unset, HF_HOME: "/hf", XDG_CACHE_HOME: "/xdg", HOME: "/home/u" }, () => {
    assert.equal(defaultCacheDir(), "/hf/deno-torch");
    assert.equal(opusBooksCachePath(), "/hf/deno-torch/opus_books/en-it/train/0000.parquet");
  });
  withEnv({ ...unset, XDG_CACHE_HOME: "/xdg", HOME: "/home/u" }, () => {
    assert.equal(defaultCacheDir(), "/xdg/deno-torch");
  });
  withEnv({ ...unset, HOME: "/home/u" }, () => {
    assert.equal(defaultCacheDir(), "/home/u/.cache/deno-torch");
  });
  assert.equal(opusBooksCachePath({ cacheDir: "/c/" }), "/c/opus_books/en-it/train/0000.parquet");
});

Deno.test("opus_books: the configuration and the hub's parquet-conversion URL", () => {
  assert.equal(opusBooksConfig(), "en-it");
  assert.equal(opusBooksConfig({ src: "it", tgt: "en" }), "en-it");
  assert.equal(opusBooksConfig({ src: "fr", tgt: "en" }), "en-fr");
  const url = "https://huggingface.co/datasets/Helsinki-NLP/opus_books/resolve/refs%2Fconvert%2Fparquet/" +
    "en-it/train/0000.parquet";
  withEnv({ HF_ENDPOINT: undefined, DENO_TORCH_OPUS_BOOKS_URL: undefined }, () => {
    assert.equal(opusBooksUrl(), url);
    assert.equal(opusBooksUrl({ src: "it", tgt: "en" }), url);
    assert.equal(opusBooksUrl({ url: "http://x/y.parquet" }), "http://x/y.parquet");
  });
  withEnv({ HF_ENDPOINT: "https://mirror.example/", DENO_TORCH_OPUS_BOOKS_URL: undefined }, () => {
    assert.ok(opusBooksUrl().startsWith("https://mirror.example/datasets/Helsinki-NLP/opus_books/resolve/"));
  });
  withEnv({ DENO_TORCH_OPUS_BOOKS_URL: "http://127.0.0.1:1/x.parquet" }, () => {
    assert.equal(opusBooksUrl(), "http://127.0.0.1:1/x.parquet");
  });
});

Deno.test("opus_books: a populated cache is read without any download, either direction", async () => {
  await withTempDir(async (cacheDir) => {
    const path = opusBooksCachePath({ cacheDir });
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, opusBooksParquet(ROWS));
    const url = "http://127.0.0.1:1/never.parquet"; // any download would fail (and need --allow-net)
    const c = await loadOpusBooks({ cacheDir, url });
    assert.deepEqual(c.pairs, [
      { src: "The Wanderer", tgt: "Il viandante" },
      { src: "Chapter I", tgt: "Capitolo I" },
    ]);
    assert.deepEqual(c.skipped, { empty: 1 });
    assert.deepEqual(c.files, [path]);
    const reversed = await loadOpusBooks({ cacheDir, url, src: "it", tgt: "en" });
    assert.deepEqual(reversed.pairs[0], { src: "Il viandante", tgt: "The Wanderer" });
  });
});

Deno.test({
  name: "opus_books: an unreachable hub is a DownloadError that points at --data, and leaves no file",
  ignore: !loopback,
}, async () => {
  await withTempDir(async (cacheDir) => {
    const url = `http://127.0.0.1:${closedPort()}/opus_books.parquet`;
    const error = await fetchOpusBooks({ cacheDir, url, progress: false }).then(
      () => assert.fail("expected a DownloadError"),
      (e) => e,
    );
    assert.ok(error instanceof DownloadError, String(error));
    assert.equal(error.url, url);
    assert.equal(error.status, undefined);
    assert.match(error.message, /could not reach the Hugging Face hub/);
    assert.match(error.message, /--data FILE/);
    assert.match(error.message, /tatoeba-en-it\.jsonl/);
    assert.deepEqual(await listTree(cacheDir), []);
    // The environment override reaches the same place.
    await withEnv(
      { DENO_TORCH_OPUS_BOOKS_URL: url },
      () =>
        assert.rejects(loadOpusBooks({ cacheDir, progress: false }), /could not reach the Hugging Face hub.*--data/s),
    );
  });
});

Deno.test(
  { name: "opus_books: downloads once into the cache, atomically, then reads it", ignore: !loopback },
  async () => {
    const bytes = opusBooksParquet(ROWS);
    await withServer(() => new Response(bytes), async (url, requests) => {
      await withTempDir(async (cacheDir) => {
        const c = await loadOpusBooks({ cacheDir, url, progress: false });
        assert.equal(c.pairs.length, 2);
        assert.equal(requests(), 1);
        const path = opusBooksCachePath({ cacheDir });
        assert.deepEqual(await Deno.readFile(path), bytes);
        assert.deepEqual(await listTree(cacheDir), ["opus_books/en-it/train/0000.parquet"], "no temporary file left");
        await loadOpusBooks({ cacheDir, url, progress: false });
        assert.equal(requests(), 1, "the second load uses the cache");
      });
    });
  },
);

Deno.test({
  name: "opus_books: an HTTP error or a file that is not parquet is rejected and not cached",
  ignore: !loopback,
}, async () => {
  await withServer(() => new Response("<html>not found</html>", { status: 404 }), async (url) => {
    await withTempDir(async (cacheDir) => {
      const e = await fetchOpusBooks({ cacheDir, url, progress: false }).catch((e) => e);
      assert.ok(e instanceof DownloadError);
      assert.equal(e.status, 404);
      assert.match(e.message, /could not download it from the Hugging Face hub .*answered 404.*--data FILE/s);
      assert.deepEqual(await listTree(cacheDir), []);
    });
  });
  await withServer(() => new Response("<html>a captive portal</html>"), async (url) => {
    await withTempDir(async (cacheDir) => {
      await assert.rejects(
        fetchOpusBooks({ cacheDir, url, progress: false }),
        /could not download it from the Hugging Face hub .*not a parquet file \(29 bytes\).*--data/s,
      );
      assert.deepEqual(await listTree(cacheDir), [], "no file left behind");
    });
  });
});
