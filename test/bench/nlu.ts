import { LANGUAGES } from "../../lib/chat/language";
import { trainClassifier } from "../../lib/chat/nlu/classifier";
import { EVAL_UTTERANCES, STYLES } from "../../evals/utterances";
import { measureNlu, rate, type Tally } from "../../evals/utterances/measure";

// `npm run bench:nlu`: trains the offline model's classifier from its corpus, classifies every
// eval sentence (evals/utterances/, never trained on) and prints the accuracy overall, per
// language and per style, the misses, and the CPU cost: training at start-up and per message.

const TARGET_OVERALL = 0.95;
const TARGET_PER_LANGUAGE = 0.9;

const pct = (t: Tally) => `${(rate(t) * 100).toFixed(1)}% (${t.correct}/${t.total})`;

// CPU time (user + system) as well as wall time: on a shared machine the wall clock also counts other processes.
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

const trainStart = performance.now();
const trainCpu = process.cpuUsage();
const classifier = await trainClassifier();
const trainMs = performance.now() - trainStart;
const trainCpuMs = cpuMs(trainCpu);

const runStart = performance.now();
const runCpu = process.cpuUsage();
const measured = await measureNlu(classifier);
const runMs = performance.now() - runStart;
const runCpuMs = cpuMs(runCpu);
const sentences = LANGUAGES.reduce((n, language) => n + EVAL_UTTERANCES[language].length, 0);

console.log(`NLU accuracy on ${sentences} eval sentences (offline model, NLP.js)`);
console.log(`  overall       ${pct(measured.overall)}   target >= ${TARGET_OVERALL * 100}%`);
for (const language of LANGUAGES) console.log(`  ${language.padEnd(13)} ${pct(measured.byLanguage[language])}   target >= ${TARGET_PER_LANGUAGE * 100}%`);
for (const style of STYLES) console.log(`  style ${style.padEnd(7)} ${pct(measured.byStyle[style])}`);
console.log(`  language guessed right: ${pct(measured.languageGuessed)}`);
console.log(`\nMisses (${measured.misses.length}):`);
for (const miss of measured.misses) console.log(`  [${miss.language}/${miss.style}] "${miss.text}": expected ${miss.expected.join("+")}, got ${miss.got.join("+")}`);
console.log(`\nCost: training once per process ${trainCpuMs.toFixed(0)} ms CPU (${trainMs.toFixed(0)} ms wall)`);
console.log(`      understanding a message ${(runCpuMs / sentences).toFixed(2)} ms CPU on average (${(runMs / sentences).toFixed(2)} ms wall; ${sentences} messages, clauses and language retries included)`);

const pass = rate(measured.overall) >= TARGET_OVERALL && LANGUAGES.every((language) => rate(measured.byLanguage[language]) >= TARGET_PER_LANGUAGE);
console.log(pass ? "\nTargets met." : "\nTargets NOT met.");
process.exitCode = pass ? 0 : 1;
