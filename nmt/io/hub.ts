/**
 * Model folders published on the Hugging Face hub, as `hf:user/name[@revision]`: downloaded once into
 * a per-user cache (`$DENO_TORCH_CACHE/hub`, else ~/.cache/deno-torch/hub), the way the seed's
 * `from_pretrained` does, then loaded from there. `HF_ENDPOINT` replaces https://huggingface.co,
 * as in Hugging Face's own clients; `HF_TOKEN` is sent for private repositories.
 *
 * @module
 */
import { cacheRoot, envVar } from "../../lib/runtime.ts";
import { DownloadError, downloadFile } from "./download.ts";
import { parseConfig, replaceDir } from "./folder.ts";

/** A hub model reference could not be resolved: a malformed name, or the download failed (offline?). */
export class HubError extends Error {
  /** Makes the error with its message (and the underlying error as `cause`). */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HubError";
  }
}

/** The parts of `hf:user/name[@revision]`. */
export interface HubRef {
  /** "user/name". */
  repo: string;
  /** A branch, tag or commit; "main" when not given. */
  revision: string;
}

/** Parses `hf:user/name[@revision]`; null when `spec` does not start with `hf:`. */
export function parseHubRef(spec: string): HubRef | null {
  if (!spec.startsWith("hf:")) return null;
  const m = /^hf:([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/.exec(spec);
  if (!m) {
    throw new HubError(`${JSON.stringify(spec)} is not a hub model: expected hf:user/name or hf:user/name@revision`);
  }
  return { repo: m[1], revision: m[2] ?? "main" };
}

/** The hub's base URL (`HF_ENDPOINT` or https://huggingface.co). */
export function hubEndpoint(): string {
  return (envVar("HF_ENDPOINT") ?? "https://huggingface.co").replace(/\/+$/, "");
}

/** Where `ref` is cached. */
export function hubCacheDir(ref: HubRef): string {
  const base = envVar("DENO_TORCH_CACHE") ?? cacheRoot();
  if (!base) throw new HubError("no cache folder for hub models: set DENO_TORCH_CACHE (HOME is unset)");
  return `${base}/hub/${ref.repo.replace("/", "--")}/${ref.revision.replace(/\//g, "--")}`;
}

const exists = async (path: string) => await Deno.stat(path).then(() => true, () => false);

/**
 * A local model folder for `spec`: `spec` itself when it is a path, else the cached download of the
 * `hf:` reference, fetched first when absent (config.json, then the weights and the two tokenizers
 * it names). The folder appears complete or not at all. Throws `HubError` naming the URL on failure.
 *
 * @example
 * ```ts
 * import { loadModelFolder, resolveModelFolder } from "@deno-torch/torch/nmt";
 * const folder = loadModelFolder(await resolveModelFolder("hf:someone/opus-books-en-it"));
 * ```
 */
export async function resolveModelFolder(spec: string): Promise<string> {
  const ref = parseHubRef(spec);
  if (ref === null) return spec;
  const dir = hubCacheDir(ref);
  if (await exists(`${dir}/config.json`)) return dir;
  const base = `${hubEndpoint()}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}`;
  // Downloaded beside the repositories and moved into place when complete: a failure leaves nothing.
  const hub = dir.slice(0, dir.lastIndexOf("/", dir.lastIndexOf("/") - 1));
  const tmp = `${hub}/.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(tmp, { recursive: true });
  const token = envVar("HF_TOKEN");
  try {
    const get = (file: string) =>
      downloadFile(`${base}/${file}`, `${tmp}/${file}`, {
        label: `${spec} ${file}`,
        headers: token ? { authorization: `Bearer ${token}` } : undefined,
      });
    await get("config.json");
    const { srcLang, tgtLang } = parseConfig(await Deno.readTextFile(`${tmp}/config.json`), `${spec} config.json`);
    for (const file of ["model.safetensors", `tokenizer_${srcLang}.json`, `tokenizer_${tgtLang}.json`]) await get(file);
    await Deno.mkdir(dir.slice(0, dir.lastIndexOf("/")), { recursive: true });
    await replaceDir(tmp, dir);
    return dir;
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    const why = e instanceof DownloadError && e.status === undefined
      ? `${hubEndpoint()} cannot be reached (offline?)`
      : (e as Error).message;
    throw new HubError(
      `cannot download ${spec}: ${why}. Download the folder where the hub is reachable and pass --model DIR`,
      { cause: e },
    );
  }
}
