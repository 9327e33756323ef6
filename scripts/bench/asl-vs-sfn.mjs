// Times the two ASL interpreter benchmarks of shared/asl/bench_test.go with
// aws-local-stepfunctions, the independent implementation the differential
// test compares Magpie's interpreter with, so the figures can be put side by
// side (scripts/bench/asl-vs-sfn.sh runs both).
//
// Usage: node asl-vs-sfn.mjs MODULES_DIR LOOP_DEFINITION [RUNS]
// Prints one JSON line per benchmark.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [modulesDir, loopFile, runsArg] = process.argv.slice(2);
if (!modulesDir || !loopFile) {
  process.stderr.write('usage: node asl-vs-sfn.mjs MODULES_DIR LOOP_DEFINITION [RUNS]\n');
  process.exit(2);
}
const runs = Number(runsArg ?? 5);
const require = createRequire(path.join(path.resolve(modulesDir), 'noop.js'));
const { StateMachine } = require('aws-local-stepfunctions');

// Pass/Choice loop: 1,000 iterations = 2,001 state transitions per run,
// as BenchmarkPassChoiceLoop.
const n = 1000;
const loop = new StateMachine(JSON.parse(readFileSync(loopFile, 'utf8')));
await loop.run({ i: 0, n: 10 }).result; // warm up
let t = performance.now();
for (let r = 0; r < runs; r++) {
  const out = await loop.run({ i: 0, n }).result;
  if (out.i !== n) throw new Error(`loop ended at ${JSON.stringify(out)}`);
}
let secs = (performance.now() - t) / 1000;
process.stdout.write(JSON.stringify({ benchmark: 'PassChoiceLoop', runs, seconds_per_run: secs / runs,
  transitions_per_second: Math.round((runs * (2 * n + 1)) / secs) }) + '\n');

// 10,000-item inline Map at MaxConcurrency 100 whose Task is a trivial local
// handler shaped like lambda:invoke, as BenchmarkInlineMap10k.
const map = new StateMachine({
  StartAt: 'M',
  States: {
    M: {
      Type: 'Map', MaxConcurrency: 100, ItemSelector: { 'N.$': '$$.Map.Item.Value' }, End: true,
      ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'square', 'Payload.$': '$' }, OutputPath: '$.Payload', End: true } } },
    },
  },
});
const overrides = { taskResourceLocalHandlers: { T: async (input) => ({ StatusCode: 200, Payload: input.Payload.N * input.Payload.N }) } };
const items = Array.from({ length: 10000 }, (_, i) => i);
const mapRuns = Math.max(1, Math.min(runs, 3));
t = performance.now();
for (let r = 0; r < mapRuns; r++) {
  const out = await map.run(items, { overrides }).result;
  if (out.length !== items.length || out[9999] !== 9999 * 9999) throw new Error('map output is wrong');
}
secs = (performance.now() - t) / 1000;
process.stdout.write(JSON.stringify({ benchmark: 'InlineMap10k', runs: mapRuns, seconds_per_run: secs / mapRuns }) + '\n');
