/**
 * The third way to use the project: another Deno project imports mod.ts by URL. The repository is
 * served over loopback HTTP; a temporary project imports mod.ts from there with an empty library
 * cache and gets an error naming the one command to run; that command (scripts/build_native.ts,
 * also fetched over HTTP) builds the shim into the cache, after which the same import works.
 * The import loads the library alone: no npm package, nothing of the translator.
 * The build compiles the native sources, so this test takes a few minutes.
 */
import assert from "node:assert/strict";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const TYPES: Record<string, string> = {
  ts: "application/typescript",
  json: "application/json",
  sh: "text/plain",
  cpp: "text/plain",
  h: "text/plain",
};

/** Serves the repository's files read-only; nothing outside it. */
function serveRepository(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.split("/").includes("..")) return new Response("no", { status: 403 });
    try {
      const body = await Deno.readFile(`${ROOT}${path.slice(1)}`);
      const ext = path.split(".").pop() ?? "";
      return new Response(body, { headers: { "content-type": TYPES[ext] ?? "application/octet-stream" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

async function run(args: string[], cwd: string, env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), { args, cwd, env }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

Deno.test("mod.ts by URL: missing library → the build command; build_native.ts → the import works, loading no npm package", async () => {
  const server = serveRepository();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const project = await Deno.makeTempDir({ prefix: "remote_import_" });
  try {
    await Deno.writeTextFile(
      `${project}/main.ts`,
      `import { add, tensor, values } from "${base}/mod.ts";\nconsole.log(JSON.stringify(values(add(tensor([1, 2, 3]), 1))));\n`,
    );
    // An empty cache and no DENO_TORCH_LIB: nothing to find.
    const env = { DENO_TORCH_CACHE: `${project}/cache`, DENO_TORCH_LIB: "" };
    const allow = ["--allow-ffi", "--allow-env", "--allow-read", `--allow-import=127.0.0.1:${server.addr.port}`];

    const missing = await run(["run", ...allow, "main.ts"], project, env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /native library not found/);
    assert.ok(
      missing.stderr.includes(`deno run -A ${base}/scripts/build_native.ts`),
      `the error names the build command:\n${missing.stderr}`,
    );

    const build = await run(["run", "-A", `${base}/scripts/build_native.ts`], project, env);
    assert.equal(build.code, 0, build.stdout + build.stderr);
    await Deno.stat(`${project}/cache/libdeno_torch.so`);

    const works = await run(["run", ...allow, "main.ts"], project, env);
    assert.equal(works.code, 0, works.stderr);
    assert.equal(works.stdout.trim(), "[2,3,4]");

    // What that import loaded: the library and its binding, and no npm package.
    const graph = await run(
      ["info", "--json", `--allow-import=127.0.0.1:${server.addr.port}`, `${base}/mod.ts`],
      project,
      env,
    );
    assert.equal(graph.code, 0, graph.stderr);
    const loaded = (JSON.parse(graph.stdout).modules as { specifier: string }[]).map((m) => m.specifier);
    assert.ok(loaded.includes(`${base}/lib/tensor.ts`), loaded.join("\n"));
    assert.deepEqual(loaded.filter((m) => !m.startsWith(`${base}/mod.ts`) && !/\/(lib|ffi)\//.test(m)), []);
  } finally {
    await server.shutdown();
    await Deno.remove(project, { recursive: true });
  }
});
