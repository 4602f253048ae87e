/** The benchmark groups, in run order. `--only a,b` picks by name. Add new groups here. */
import type { BenchGroup } from "./types.ts";
import { ffiGroup } from "./ffi.ts";
import { overheadGroup } from "./overhead.ts";

export const GROUPS: readonly BenchGroup[] = [ffiGroup, overheadGroup];
