// Runs differential-test cases with aws-local-stepfunctions, the independent
// ASL implementation Magpie's interpreter is compared with (diff_test.go).
//
// Usage: node runner.mjs MODULES_DIR < cases.json > results.jsonl
//
// stdin: a JSON array of {"id", "definition", "input", "tasks", "context",
// "noValidate"} (noValidate: why the package's validator must be skipped).
// stdout: one JSON line per case: {"id", "status", "output", "error", "cause"}
// with status SUCCEEDED, FAILED, TIMED_OUT or INVALID (the package rejected
// the definition).
//
// Every Task state is overridden by a local handler that plays the mocked
// task table ("tasks": function name or resource ARN -> behaviour), Wait
// states and Retry back-offs are overridden to 0 ms, so the run is fast and
// needs no AWS account.
import { createRequire } from 'node:module';
import path from 'node:path';

const modulesDir = process.argv[2];
if (!modulesDir) {
  process.stderr.write('usage: node runner.mjs MODULES_DIR < cases.json\n');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modulesDir), 'noop.js'));
const { StateMachine, ExecutionError, ExecutionTimeoutError } = require('aws-local-stepfunctions');

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

// functionName mirrors the Go side: a name, name:qualifier, or function ARN.
function functionName(s) {
  const i = s.indexOf(':function:');
  if (i >= 0) {
    s = s.slice(i + ':function:'.length);
  }
  const j = s.indexOf(':');
  return j >= 0 ? s.slice(0, j) : s;
}

function isFunctionArn(s) {
  return s.startsWith('arn:aws:lambda:') && s.includes(':function:');
}

// forEachState visits every state of a machine, including Parallel branches
// and Map item processors.
function forEachState(machine, fn) {
  for (const [name, st] of Object.entries(machine.States ?? {})) {
    fn(name, st);
    for (const b of st.Branches ?? []) forEachState(b, fn);
    const proc = st.ItemProcessor ?? st.Iterator;
    if (proc) forEachState(proc, fn);
  }
}

// behave plays one behaviour of the task table. A Lambda function error is
// reported as the Lambda runtime does: Error = errorType, Cause = the JSON
// error payload.
function behave(tasks, counters, key, input, lambda) {
  let b = tasks[key];
  if (b === undefined) {
    const e = new Error(`no mocked task ${key}`);
    e.name = 'Diff.UnknownTask';
    throw e;
  }
  if (b.sequence) {
    const n = (counters[key] = (counters[key] ?? 0) + 1);
    b = b.sequence[Math.min(n, b.sequence.length) - 1];
  }
  if (b.error !== undefined) {
    const e = new Error(lambda ? JSON.stringify({ errorMessage: b.cause ?? '', errorType: b.error }) : (b.cause ?? ''));
    e.name = b.error;
    throw e;
  }
  if (b.echo) return input;
  if (b.merge) return { ...input, ...b.merge };
  return b.output ?? null;
}

// invokeResult wraps a function output like the lambda:invoke integration.
// The request id and date are placeholders; the Go side's real values are
// normalised before comparing.
function invokeResult(out) {
  const headers = {
    Connection: 'keep-alive',
    'Content-Length': String(Buffer.byteLength(JSON.stringify(out ?? null))),
    'Content-Type': 'application/json',
    Date: 'Mon, 01 Jan 2030 00:00:00 GMT',
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-Remapped-Content-Length': '0',
    'x-amzn-RequestId': '00000000-0000-4000-8000-000000000000',
  };
  const all = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  return {
    ExecutedVersion: '$LATEST',
    Payload: out,
    SdkHttpMetadata: { AllHttpHeaders: all, HttpHeaders: headers, HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: headers['x-amzn-RequestId'] },
    StatusCode: 200,
  };
}

function overridesFor(c) {
  const counters = {};
  const taskResourceLocalHandlers = {};
  const waitTimeOverrides = {};
  const retryIntervalOverrides = {};
  forEachState(c.definition, (name, st) => {
    if (st.Type === 'Wait') waitTimeOverrides[name] = 0;
    if (st.Retry) retryIntervalOverrides[name] = 0;
    if (st.Type !== 'Task') return;
    const resource = st.Resource.replace(/\.waitForTaskToken$/, '');
    taskResourceLocalHandlers[name] = async (input) => {
      if (resource === LAMBDA_INVOKE) {
        const fn = functionName(String(input?.FunctionName ?? ''));
        const out = behave(c.tasks, counters, fn, input?.Payload ?? {}, true);
        return invokeResult(out);
      }
      if (isFunctionArn(resource)) {
        return behave(c.tasks, counters, functionName(resource), input, true);
      }
      return behave(c.tasks, counters, st.Resource, input, false);
    };
  });
  return { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides };
}

// Validating a definition costs ~0.1 s, so each distinct one is built once.
const machines = new Map();
function machineFor(c) {
  const key = JSON.stringify([c.definition, c.noValidate ?? '']);
  if (!machines.has(key)) {
    try {
      const options = c.noValidate ? { validationOptions: { noValidate: true } } : undefined;
      machines.set(key, { sm: new StateMachine(c.definition, options) });
    } catch (e) {
      machines.set(key, { error: String(e.message ?? e) });
    }
  }
  return machines.get(key);
}

async function runCase(c) {
  const { sm, error } = machineFor(c);
  if (!sm) {
    return { id: c.id, status: 'INVALID', error };
  }
  try {
    const exec = sm.run(c.input, { overrides: overridesFor(c), context: c.context });
    const output = await exec.result;
    return { id: c.id, status: 'SUCCEEDED', output: output ?? null };
  } catch (e) {
    if (e instanceof ExecutionTimeoutError) {
      return { id: c.id, status: 'TIMED_OUT', error: 'States.Timeout' };
    }
    const cause = e instanceof ExecutionError ? e.cause : e;
    return { id: c.id, status: 'FAILED', error: String(cause?.name ?? 'Error'), cause: String(cause?.message ?? '') };
  }
}

let raw = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) raw += chunk;
const cases = JSON.parse(raw);
const results = await Promise.all(cases.map(runCase));
for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
