/**
 * The PyTorch side: scripts/bench/torch_workloads.py run as a subprocess in `--serve` mode, answering one JSON
 * line per request. Keeping it alive lets the harness interleave PyTorch samples with ours, round by
 * round, instead of timing the two sides minutes apart under different background load.
 *
 * Protocol (one JSON object per line each way):
 *   → start-up   ← {"ready": true, "torch": "1.13.1", "threads": 2, "workloads": {"id": "code", ...}}
 *                ← {"error": "..."} (then exits) when torch cannot be imported
 *   → {"cmd": "calibrate", "id": "add16", "target_ns": 5e7}   ← {"iters": 1234}
 *   → {"cmd": "sample", "id": "add16"}                        ← {"ns_per_op": 917.3}
 *   → {"cmd": "quit"}
 * Any reply may be {"error": "..."} instead.
 */
import type { Sampler } from "./harness.ts";
import { ROOT } from "./reference.ts";

/** The PyTorch workloads, served one sample at a time; ids match the `torch` field of the rows. */
export const WORKLOADS_SCRIPT = `${ROOT}/scripts/bench/torch_workloads.py`;

export interface TorchInfo {
  python: string;
  version: string;
  threads: number;
  /** workload id → the Python code it times */
  workloads: Record<string, string>;
}

type Reply = Record<string, unknown>;

class LineReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  async next(): Promise<string | null> {
    for (;;) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) {
        const rest = this.#buffer;
        this.#buffer = "";
        return rest.length > 0 ? rest : null;
      }
      this.#buffer += value;
    }
  }
}

export class TorchClient {
  readonly #child: Deno.ChildProcess;
  readonly #lines: LineReader;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #stderr: Promise<string>;
  info!: TorchInfo;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#lines = new LineReader(child.stdout);
    this.#writer = child.stdin.getWriter();
    this.#stderr = new Response(child.stderr).text();
  }

  /**
   * Starts the reference process, or returns a notice saying why the PyTorch column is skipped
   * (no interpreter at `python`, torch not importable, a broken start-up).
   */
  static async start(python: string, threads: number): Promise<TorchClient | string> {
    try {
      if (!Deno.statSync(python).isFile) return `${python} is not a file`;
    } catch {
      return `${python} not found`;
    }
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(python, {
        args: [WORKLOADS_SCRIPT, "--serve", "--threads", String(threads)],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      return `could not start ${python}: ${(e as Error).message}`;
    }
    const client = new TorchClient(child);
    const hello = await client.#read();
    if (hello === null || hello.ready !== true) {
      const why = hello?.error ?? (await client.#stderr).trim().split("\n").slice(-1)[0] ?? "no reply";
      await client.close();
      return `${python} cannot run the PyTorch reference: ${why}`;
    }
    client.info = {
      python,
      version: String(hello.torch),
      threads: Number(hello.threads),
      workloads: hello.workloads as Record<string, string>,
    };
    return client;
  }

  async #read(): Promise<Reply | null> {
    const line = await this.#lines.next();
    if (line === null) return null;
    try {
      return JSON.parse(line) as Reply;
    } catch {
      return { error: `unreadable reply: ${line}` };
    }
  }

  async request(message: Reply): Promise<Reply> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
    const reply = await this.#read();
    if (reply === null) {
      const err = (await this.#stderr).trim();
      throw new Error(`the PyTorch reference exited${err ? `: ${err}` : ""}`);
    }
    if (typeof reply.error === "string") throw new Error(`PyTorch reference: ${reply.error}`);
    return reply;
  }

  has(id: string): boolean {
    return id in this.info.workloads;
  }

  sampler(id: string): Sampler {
    return {
      calibrate: async (targetNs) => Number((await this.request({ cmd: "calibrate", id, target_ns: targetNs })).iters),
      sample: async () => Number((await this.request({ cmd: "sample", id })).ns_per_op),
    };
  }

  async close(): Promise<void> {
    try {
      await this.#writer.write(new TextEncoder().encode(JSON.stringify({ cmd: "quit" }) + "\n"));
      await this.#writer.close();
    } catch {
      // already gone
    }
    await this.#child.status;
    await this.#stderr.catch(() => "");
  }
}
