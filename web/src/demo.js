// The demo page: loads the model with MediaPipe Tasks Text (served from this site) and classifies the
// sentence typed in. window.eelbertDemo.classify(text) is what the browser test calls.
import { FilesetResolver, TextClassifier } from "./vendor/text_bundle.mjs";

const $ = (id) => document.getElementById(id);
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;

async function main() {
  const info = await (await fetch("models.json")).json();
  const fileset = await FilesetResolver.forTextTasks(new URL("vendor/wasm", location.href).href);
  const classifier = await TextClassifier.createFromOptions(fileset, {
    baseOptions: { modelAssetPath: info.model.path },
  });

  const rows = [[info.model.name, info.model.bytes], [info.peer.name, info.peer.bytes]];
  $("sizes").tBodies[0].innerHTML = rows.map(([name, bytes]) =>
    `<tr><td>${name}</td><td>${kb(bytes)}</td><td><span class="bar" style="width:${(12 * bytes / info.peer.bytes).toFixed(2)}rem"></span></td></tr>`).join("");
  $("about").textContent = `EELBERT-UNO is ${(info.peer.bytes / info.model.bytes).toFixed(1)}x smaller than ` +
    `BERT-tiny (${info.peer.measured}). MediaPipe Tasks Text ${info.tasksText}.`;

  function classify(text) {
    const started = performance.now();
    const result = classifier.classify(text);
    const ms = performance.now() - started;
    const categories = [...result.classifications[0].categories].sort((a, b) => a.index - b.index);
    const best = categories.reduce((a, b) => (b.score > a.score ? b : a));
    return { label: best.categoryName, scores: Object.fromEntries(categories.map((c) => [c.categoryName, c.score])), ms };
  }

  function show(text) {
    const { label, scores, ms } = classify(text);
    $("label").textContent = label;
    $("latency").textContent = `(${ms.toFixed(2)} ms in this browser)`;
    $("scores").tBodies[0].innerHTML = Object.entries(scores).map(([name, score]) =>
      `<tr><td>${name}</td><td>${score.toFixed(4)}</td><td><span class="bar" style="width:${(10 * score).toFixed(2)}rem"></span></td></tr>`).join("");
    $("result").hidden = false;
  }

  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    show($("text").value);
  });
  $("classify").disabled = false;
  $("classify").textContent = "Classify";
  $("status").textContent = "Model loaded; it runs on this device.";
  window.eelbertDemo = { classify, ready: true };
}

main().catch((error) => {
  $("status").textContent = `Failed to load: ${error}`;
  window.eelbertDemo = { ready: false, error: String(error) };
});
