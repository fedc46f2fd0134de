// Builds the static demo into dist/: the page, MediaPipe Tasks Text's ES module and WASM files (from
// node_modules, so nothing is fetched from a CDN), the shipped SST-2 EELBERT-UNO model, and a models.json
// with the model's size next to BERT-tiny's (measured by `python bench/deployment.py`).
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const dist = join(here, "dist");
const tasks = join(here, "node_modules", "@mediapipe", "tasks-text");
const MODEL = "sst2_eelbert_uno.mediapipe.int8.tflite";
const PEER = ["sst2_bert_tiny_en", "sst2_bert_tiny_en.mediapipe.int8.tflite"];

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "models"), { recursive: true });
cpSync(join(here, "src"), dist, { recursive: true });
cpSync(join(tasks, "text_bundle.mjs"), join(dist, "vendor", "text_bundle.mjs"));
cpSync(join(tasks, "wasm"), join(dist, "vendor", "wasm"), { recursive: true });
cpSync(join(repo, "tflite", "models", "sst2_eelbert_uno", MODEL), join(dist, "models", MODEL));

const deployment = JSON.parse(readFileSync(join(repo, "bench", "results", "deployment.json"), "utf8"));
const peer = deployment.peers[PEER[0]][PEER[1]];
writeFileSync(join(dist, "models.json"), JSON.stringify({
  model: { path: `models/${MODEL}`, name: "EELBERT-UNO, SST-2, int8", bytes: statSync(join(dist, "models", MODEL)).size },
  peer: { name: "BERT-tiny, SST-2, int8 (same export, not served)", bytes: peer.bytes,
          measured: `bench/results/deployment.json, ${deployment.date}` },
  tasksText: JSON.parse(readFileSync(join(tasks, "package.json"), "utf8")).version,
}, null, 2));
console.log(`built ${dist}`);
