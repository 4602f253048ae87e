/**
 * The benchmark groups, in run order: micro groups (per-op, ns) first, then macro groups (whole
 * workloads, s). `--only a,b` picks by name. Add new groups here.
 */
import type { AnyGroup } from "./types.ts";
import { ffiGroup } from "./ffi.ts";
import { overheadGroup } from "./overhead.ts";
import { dataGroup } from "./data.ts";
import { decodeGroup } from "./decode.ts";
import { serveGroup } from "./serve.ts";
import { trainStepGroup } from "./train_step.ts";
import { epochGroup } from "./epoch.ts";
import { distGroup } from "./dist.ts";

export const GROUPS: readonly AnyGroup[] = [
  ffiGroup,
  overheadGroup,
  dataGroup,
  decodeGroup,
  serveGroup,
  trainStepGroup,
  epochGroup,
  distGroup,
];
