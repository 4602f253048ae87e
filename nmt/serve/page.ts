/**
 * The single-page UI: plain HTML, CSS and a small script, served by the app itself (no CDN, no
 * build step), so it works offline and under a strict Content-Security-Policy (no inline code).
 */

/** The page at "/". */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>deno-torch translate</title>
<link rel="stylesheet" href="/app.css">
<link rel="icon" href="data:,">
<script src="/app.js" defer></script>
</head>
<body>
<header><h1>English → Italian</h1><p id="model-info">loading the model…</p></header>
<main>
  <section class="pane">
    <label for="source">English</label>
    <textarea id="source" rows="6" maxlength="1000" placeholder="Type or paste English text" autofocus></textarea>
    <div class="controls">
      <label>decoding <select id="decoding">
        <option value="1">greedy</option><option value="2">beam 2</option>
        <option value="4" selected>beam 4</option><option value="8">beam 8</option>
      </select></label>
      <button id="heatmap-button" type="button" disabled>attention heatmap</button>
    </div>
  </section>
  <section class="pane">
    <label for="target">translation</label>
    <output id="target" aria-live="polite"></output>
    <p id="status"></p>
    <ol id="nbest"></ol>
  </section>
</main>
<section id="heatmap" hidden><h2>Cross-attention (last decoder layer, mean over heads)</h2><div id="heatmap-grid"></div></section>
</body>
</html>
`;

/** Styles at "/app.css". */
export const APP_CSS = `
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 64rem; padding: 1rem 1.5rem; color: #1d2330; }
h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
#model-info, #status { color: #667; font-size: 0.85rem; margin: 0.2rem 0; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
@media (max-width: 48rem) { main { grid-template-columns: 1fr; } }
.pane label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
textarea, output { box-sizing: border-box; width: 100%; min-height: 9rem; font-size: 1.05rem; padding: 0.6rem;
  border: 1px solid #c7ccd6; border-radius: 6px; background: #fff; font-family: inherit; }
output { display: block; background: #f6f7fa; white-space: pre-wrap; }
.controls { display: flex; gap: 1rem; align-items: center; margin-top: 0.5rem; }
#nbest { font-size: 0.9rem; color: #334; } #nbest .score { color: #889; margin-left: 0.5rem; }
#heatmap-grid table { border-collapse: collapse; font-size: 0.8rem; }
#heatmap-grid td, #heatmap-grid th { padding: 0.25rem 0.4rem; text-align: center; }
#heatmap-grid th { font-weight: 500; }
#heatmap-grid td { min-width: 2rem; color: transparent; }
`;

/** The script at "/app.js": translate as you type (debounced), n-best list, heatmap. */
export const APP_JS = `
"use strict";
const $ = (id) => document.getElementById(id);
let timer = null, seq = 0, lastText = "";

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function options() {
  const beam = Number($("decoding").value);
  return beam > 1 ? { beam, nbest: Math.min(beam, 4) } : {};
}

async function translateNow() {
  const text = $("source").value.trim();
  const mine = ++seq;
  $("heatmap").hidden = true;
  if (text === "") { $("target").textContent = ""; $("nbest").replaceChildren(); $("status").textContent = "";
    $("heatmap-button").disabled = true; return; }
  $("status").textContent = "translating…";
  const t0 = performance.now();
  try {
    const r = await api("/api/translate", { text, ...options() });
    if (mine !== seq) return; // a newer request superseded this one
    lastText = text;
    $("target").textContent = r.text;
    $("status").textContent = "score " + r.score.toFixed(3) + " · " + Math.round(performance.now() - t0) + " ms" +
      (r.truncated ? " · " + r.truncated + " source tokens cut" : "");
    const items = (r.nbest || []).map((h) => {
      const li = document.createElement("li");
      li.textContent = h.text;
      const s = document.createElement("span"); s.className = "score"; s.textContent = h.score.toFixed(3);
      li.append(s);
      return li;
    });
    $("nbest").replaceChildren(...items);
    $("heatmap-button").disabled = false;
  } catch (e) {
    if (mine === seq) $("status").textContent = "error: " + e.message;
  }
}

async function showHeatmap() {
  const r = await api("/api/translate", { text: lastText, ...options(), attention: true });
  const { sourceTokens, targetTokens, weights } = r.attention;
  const table = document.createElement("table");
  const head = table.insertRow(); head.insertCell();
  for (const s of sourceTokens) { const th = document.createElement("th"); th.textContent = s; head.append(th); }
  weights.forEach((row, i) => {
    const tr = table.insertRow();
    const th = document.createElement("th"); th.textContent = targetTokens[i] ?? ""; tr.append(th);
    row.forEach((w) => {
      const td = tr.insertCell();
      td.textContent = w.toFixed(2);
      td.title = w.toFixed(3);
      td.style.background = "rgba(37, 99, 235, " + Math.min(1, w).toFixed(3) + ")";
    });
  });
  $("heatmap-grid").replaceChildren(table);
  $("heatmap").hidden = false;
}

addEventListener("DOMContentLoaded", async () => {
  $("source").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(translateNow, 300); });
  $("decoding").addEventListener("change", translateNow);
  $("heatmap-button").addEventListener("click", () => showHeatmap().catch((e) => {
    $("status").textContent = "error: " + e.message; }));
  try {
    const m = await api("/api/model");
    $("model-info").textContent = m.srcLang + " → " + m.tgtLang + " · d_model " + m.config.d_model + ", " +
      m.config.N + "+" + m.config.N + " layers · " + m.parameters.toLocaleString() + " parameters";
  } catch (e) { $("model-info").textContent = "model info unavailable: " + e.message; }
});
`;
