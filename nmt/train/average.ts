/**
 * Checkpoint averaging: the elementwise mean of several checkpoints' weights. Late in training the
 * weights wander around a minimum; their mean usually sits closer to it than any one of them
 * (Vaswani et al. 2017 average the last 5 or 20 checkpoints). The checkpoints must be the same
 * model: same architecture, languages and vocabularies.
 */
import { type ModelFolder, ModelFolderError } from "../io/folder.ts";
import { scope } from "../../lib/scope.ts";
import { mean } from "../../lib/ops/reduce.ts";
import { stack } from "../../lib/ops/shape.ts";
import { zipTree } from "../../lib/tree.ts";
import type { TransformerParams } from "../model/transformer.ts";

/**
 * The model whose every weight is the mean of that weight over `folders`, with the first folder's
 * languages and tokenizers. Tensors go to the current scope. `names` label the models in errors.
 *
 * @throws {ModelFolderError} If `folders` is empty or the models differ in config, languages or
 * tokenizers.
 *
 * @example
 * ```ts
 * import { averageModels, loadModelFolder, saveModelFolder } from "@deno-torch/torch/nmt";
 * const dirs = ["runs/en-it/checkpoints/step-00009000", "runs/en-it/checkpoints/step-00010000"];
 * const folders = dirs.map((d) => loadModelFolder(d));
 * await saveModelFolder("runs/en-it-avg", averageModels(folders, dirs));
 * ```
 */
export function averageModels(folders: readonly ModelFolder[], names: readonly string[] = []): ModelFolder {
  if (folders.length === 0) throw new ModelFolderError("averaging needs at least one model");
  const [first] = folders;
  const name = (i: number) => names[i] ?? `model ${i}`;
  folders.forEach((f, i) => {
    const differs = (what: string) =>
      new ModelFolderError(
        `${name(i)} differs from ${name(0)} in its ${what}; only checkpoints of one run can be averaged`,
      );
    if (JSON.stringify(f.model.config) !== JSON.stringify(first.model.config)) throw differs("config");
    if (f.srcLang !== first.srcLang || f.tgtLang !== first.tgtLang) throw differs("languages");
    if (f.srcTokenizer.json !== first.srcTokenizer.json) throw differs(`tokenizer_${f.srcLang}.json`);
    if (f.tgtTokenizer.json !== first.tgtTokenizer.json) throw differs(`tokenizer_${f.tgtLang}.json`);
  });
  const params = scope(() =>
    zipTree(folders.map((f) => f.model.params), (leaves) => mean(stack(leaves, 0), 0))
  ) as unknown as TransformerParams;
  return { ...first, model: { ...first.model, params } };
}
