/**
 * A self-contained HTML page (no network) with one cross-attention heatmap per translated sentence:
 * output tokens down, source tokens across, darker = more attention. A menu picks the decoder layer
 * and head, or the mean over heads.
 */
import type { AttentionMaps } from "./attention.ts";

export interface AttentionPage {
  source: string[];
  output: string[];
  maps: AttentionMaps;
}

const escape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

export function renderAttention(pages: AttentionPage[]): string {
  const layers = Math.max(0, ...pages.map((p) => p.maps.length));
  const heads = Math.max(0, ...pages.map((p) => p.maps[0]?.length ?? 0));
  const options = [];
  for (let l = 0; l < layers; l++) {
    options.push(`<option value="${l}:mean">layer ${l + 1}, mean of heads</option>`);
    for (let h = 0; h < heads; h++) options.push(`<option value="${l}:${h}">layer ${l + 1}, head ${h + 1}</option>`);
  }
  const data = JSON.stringify(pages).replace(/</g, "\\u003c");
  return `<!doctype html><html><head><meta charset="utf-8"><title>Cross-attention</title>
<style>
body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:0.5em 0 2em}
td{width:2.2em;height:1.6em;border:1px solid #fff}th{font-weight:normal;font-size:12px;padding:0 4px}
th.src{writing-mode:vertical-rl;transform:rotate(180deg);height:6em;text-align:left}
</style></head><body>
<h1>Cross-attention</h1>
<p>Rows: output tokens; columns: source tokens; darker cells get more attention. <select id="pick">${
    options.join("")
  }</select></p>
<div id="maps"></div>
<script>
const pages = ${data};
const esc = (s) => s.replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"})[c]);
function grid(page, layer, head) {
  const heads = page.maps[layer] || [];
  const rows = page.output.map((_, r) => page.source.map((_, c) => head === "mean"
    ? heads.reduce((s, h) => s + (h[r] ? h[r][c] : 0), 0) / Math.max(1, heads.length)
    : (heads[head] && heads[head][r] ? heads[head][r][c] : 0)));
  let html = "<table><tr><th></th>" + page.source.map((s) => '<th class="src">' + esc(s) + "</th>").join("") + "</tr>";
  rows.forEach((row, r) => {
    html += "<tr><th>" + esc(page.output[r]) + "</th>" + row.map((v) =>
      '<td title="' + v.toFixed(3) + '" style="background:rgba(31,119,180,' + v.toFixed(3) + ')"></td>').join("") + "</tr>";
  });
  return html + "</table>";
}
function draw() {
  const [layer, head] = document.getElementById("pick").value.split(":");
  document.getElementById("maps").innerHTML = pages.map((p) =>
    "<h3>" + esc(p.source.join(" ")) + "</h3>" + grid(p, Number(layer), head === "mean" ? "mean" : Number(head))).join("");
}
document.getElementById("pick").addEventListener("change", draw);
draw();
</script>
<noscript>${
    pages.map((p) => `<p>${escape(p.source.join(" "))} → ${escape(p.output.join(" "))}</p>`).join("")
  }</noscript>
</body></html>
`;
}
