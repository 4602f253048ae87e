/**
 * The model card (README.md) that goes with a published model folder: Hugging Face's YAML header
 * (languages, tags, library), then the architecture from config.json and, for a training run's
 * folder, what it was trained on and the last validation figures from metrics.jsonl.
 *
 * @module
 */
import type { TransformerConfig } from "../model/transformer.ts";

/** What the card is written from; everything but the config is optional. */
export interface ModelCardInput {
  /** "user/name" on the hub. */
  repo: string;
  config: TransformerConfig;
  srcLang: string;
  tgtLang: string;
  parameters: number;
  /** The run's settings (state.json's `options`), when the folder is a training run. */
  training?: { data?: string | null; steps?: number; elapsedSeconds?: number };
  /** The last validation line of metrics.jsonl, when there is one. */
  validation?: { step: number; loss: number; bleu?: number; chrf?: number; exactMatch?: number };
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** The card's Markdown text. */
export function modelCard(c: ModelCardInput): string {
  const { config: k } = c;
  const lines = [
    "---",
    "language:",
    `- ${c.srcLang}`,
    `- ${c.tgtLang}`,
    "library_name: deno-torch",
    "pipeline_tag: translation",
    "tags:",
    "- translation",
    "- transformer",
    "- safetensors",
    "---",
    "",
    `# ${c.repo}`,
    "",
    `An ${c.srcLang}→${c.tgtLang} encoder–decoder Transformer ("Attention Is All You Need") trained with deno-torch, ` +
    "a Deno library over libtorch. The folder uses the seed's layout (config.json, model.safetensors under the " +
    "PyTorch state-dict names, one tokenizer.json per language), so PyTorch code for that architecture loads it too.",
    "",
    "| | |",
    "|---|---|",
    `| d_model | ${k.dModel} |`,
    `| layers (encoder + decoder) | ${k.layers} + ${k.layers} |`,
    `| attention heads | ${k.heads} |`,
    `| d_ff | ${k.dFF} |`,
    `| vocabulary (${c.srcLang} / ${c.tgtLang}) | ${fmt(k.srcVocabSize)} / ${fmt(k.tgtVocabSize)} |`,
    `| longest sequence (source / target) | ${k.srcSeqLen} / ${k.tgtSeqLen} |`,
    `| parameters | ${fmt(c.parameters)} |`,
    "",
  ];
  if (c.training || c.validation) {
    lines.push("## Training", "");
    const t = c.training;
    if (t?.data !== undefined) {
      lines.push(`- data: ${t.data === null ? "deno-torch's generated corpus" : `\`${t.data}\``}`);
    }
    if (/tatoeba/i.test(t?.data ?? "")) {
      lines.push("- sentence pairs from the Tatoeba Project (https://tatoeba.org), CC-BY 2.0 FR");
    }
    if (t?.steps !== undefined) lines.push(`- ${fmt(t.steps)} optimizer steps`);
    if (t?.elapsedSeconds !== undefined) lines.push(`- ${(t.elapsedSeconds / 60).toFixed(1)} minutes of training`);
    const v = c.validation;
    if (v) {
      const parts = [`loss ${v.loss.toFixed(4)}`];
      if (v.bleu !== undefined) parts.push(`BLEU ${v.bleu.toFixed(2)}`);
      if (v.chrf !== undefined) parts.push(`chrF ${v.chrf.toFixed(2)}`);
      if (v.exactMatch !== undefined) parts.push(`exact match ${(100 * v.exactMatch).toFixed(1)}%`);
      lines.push(`- last validation during training (step ${fmt(v.step)}): ${parts.join(", ")}`);
    }
    lines.push("");
  }
  lines.push(
    "## Use",
    "",
    "```sh",
    `deno task translate --model hf:${c.repo} "The red cat is in the garden."`,
    `deno task serve --model hf:${c.repo}`,
    "```",
    "",
  );
  return lines.join("\n");
}
