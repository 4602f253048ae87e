/**
 * Builds the native library into the per-user cache, from the sources published next to this script,
 * so that `mod.ts` imported by URL finds it without a checkout:
 *
 *   deno run -A https://<where mod.ts is served>/scripts/build_native.ts
 *
 * It fetches native/ (the sources the Makefile lists) and scripts/setup.sh into a temporary folder
 * and runs setup.sh there with DENO_TORCH_BUILD pointing at the cache, so the libtorch choice
 * (LIBTORCH, LIBTORCH_FROM_PIP, Debian's libtorch-dev, pip's torch), CUDA and the C++ ABI are
 * decided exactly as in a checkout. Running it again rebuilds only when something changed.
 */
import { parseArgs } from "node:util";
import { cacheDir, LIBRARY_FILE, VERSION } from "../ffi/paths.ts";

const HELP = `Usage: deno run -A ${new URL(import.meta.url).href} [--out DIR] [--force]

Builds ${LIBRARY_FILE} (deno-torch ${VERSION}) from the sources next to this script into the
per-user cache, where mod.ts looks for it: $DENO_TORCH_CACHE, else ~/.cache/deno-torch/${VERSION}/.
Needs g++, make and a libtorch (Debian's libtorch-dev, LIBTORCH=/path, or pip's torch);
as root on Debian/Ubuntu, missing packages are installed with apt-get (see scripts/setup.sh).

  --out DIR   build there instead (then point DENO_TORCH_LIB at DIR/${LIBRARY_FILE})
  --force     rebuild even when the cached library is up to date
  -h, --help  this text`;

const base = new URL("../", import.meta.url);

async function fetchText(path: string): Promise<string> {
  const url = new URL(path, base);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url.href}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`cannot fetch ${url.href}: HTTP ${res.status}`);
  return await res.text();
}

/** The native sources: the files the Makefile's SOURCES, NCCL_SOURCES and HEADERS lists name. */
function sourceList(makefile: string): string[] {
  return ["SOURCES", "NCCL_SOURCES", "HEADERS"].flatMap((list) => {
    // A list may go on over lines that end in a backslash.
    const line = new RegExp(`^${list}\\s*:=\\s*((?:.*\\\\\\n)*.*)$`, "m").exec(makefile);
    if (!line) throw new Error(`native/Makefile has no ${list} line`);
    return line[1].replaceAll("\\\n", " ").trim().split(/\s+/);
  });
}

async function main(): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args: Deno.args,
      options: {
        out: { type: "string" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (e) {
    console.error(`build_native: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const out = flags.out ?? cacheDir();
  if (!out) {
    console.error("build_native: no cache folder (HOME is unset): give --out DIR or set DENO_TORCH_CACHE");
    return 2;
  }
  const tmp = await Deno.makeTempDir({ prefix: "deno-torch-src-" });
  try {
    console.log(`fetching the native sources from ${base.href}`);
    const makefile = await fetchText("native/Makefile");
    await Deno.mkdir(`${tmp}/native`);
    await Deno.mkdir(`${tmp}/scripts`);
    await Deno.writeTextFile(`${tmp}/native/Makefile`, makefile);
    for (const name of sourceList(makefile)) {
      await Deno.writeTextFile(`${tmp}/native/${name}`, await fetchText(`native/${name}`));
    }
    await Deno.writeTextFile(`${tmp}/scripts/setup.sh`, await fetchText("scripts/setup.sh"));
    await Deno.mkdir(out, { recursive: true });
    const env: Record<string, string> = { DENO_TORCH_BUILD: out };
    if (flags.force) env.FORCE_BUILD = "1";
    const { code } = await new Deno.Command("bash", { args: [`${tmp}/scripts/setup.sh`], env }).spawn().status;
    if (code !== 0) {
      console.error(`build_native: the build failed (exit ${code}); the messages above say why`);
      return 1;
    }
    console.log(`${out}/${LIBRARY_FILE} is ready: mod.ts finds it from any project on this machine`);
    return 0;
  } catch (e) {
    console.error(`build_native: ${(e as Error).message}`);
    return 1;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

Deno.exit(await main());
