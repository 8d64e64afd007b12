// Checks the claims a draft makes about its own JavaScript (confidence::claims), as
// driver.py does for Python. It runs inside the sandbox, in an empty scratch
// directory, as `node -e <this> <payload>`. Each block runs in one shared `vm` context with
// a time limit; a line `console.log(expr); // expected` becomes a checked claim; console
// output is captured, never passed through. One JSON line per verdict goes to stdout.
'use strict';
const vm = require('vm');
const util = require('util');

const STEP_MS = 2000;
const CAP = 4000;
// Errors that say the snippet needs surroundings it was not given, not that it is wrong.
const CONTEXT = new Set(['ReferenceError']);
const UNSTABLE = /\b(Math\.random|Date|setTimeout|setInterval|fetch|require|import|process|crypto|performance|prompt|readline|document|window|await)\b/;
const PREFIXES = ['output:', 'outputs:', 'output', 'outputs', 'prints:', 'prints', 'logs:',
  'logs', 'returns:', 'returns', 'result:', 'result', 'gives', '->', '=>', '\u2192', '==',
  '=', ':'];

const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const norm = (s) => String(s).trim().replace(/^`+|`+$/g, '').split(/\s+/).join(' ');
const squash = (s) => String(s).replace(/\s+/g, '').replace(/'/g, '"').replace(/,([\]}])/g, '$1');

let printed = [];
const fmt = (args) => util.format(...args);
const sandboxConsole = {
  log: (...a) => { if (printed.join('').length < CAP) printed.push(fmt(a) + '\n'); },
};
// Every console method a snippet may call: the ones that print are captured, the rest do
// nothing, so a `console.table` is not mistaken for the snippet's own TypeError.
for (const m of ['info', 'debug', 'dir', 'table', 'trace']) sandboxConsole[m] = sandboxConsole.log;
for (const m of ['error', 'warn', 'group', 'groupEnd', 'groupCollapsed', 'time', 'timeEnd',
  'timeLog', 'assert', 'count', 'countReset', 'clear']) sandboxConsole[m] = () => {};
const ctx = vm.createContext({ console: sandboxConsole });

function literal(s) {
  let t = String(s).trim().replace(/^`+|`+$/g, '').trim();
  if (t.endsWith('.') && !/^-?\d+\.$/.test(t)) t = t.slice(0, -1);
  for (const cand of [t, t.replace(/'/g, '"'), t.replace(/True/g, 'true').replace(/False/g, 'false')]) {
    try { return { ok: true, value: JSON.parse(cand) }; } catch (_) { /* next */ }
  }
  if (t === 'undefined') return { ok: true, value: undefined };
  if (t === 'NaN') return { ok: true, value: NaN };
  return { ok: false };
}

function sameValue(got, want) {
  if (typeof want === 'number' && typeof got === 'number') {
    if (Number.isNaN(want)) return Number.isNaN(got);
    if (!Number.isInteger(want)) {
      const digits = (String(want).split('.')[1] || '').length;
      return Math.abs(Number(got.toFixed(digits)) - want) < 1e-9;
    }
    return Math.abs(got - want) < 1e-9;
  }
  try { return util.isDeepStrictEqual(JSON.parse(JSON.stringify(got)), want) || got === want; } catch (_) { return got === want; }
}

function matchesText(out, expected) {
  const want = norm(expected);
  if (!want) return true;
  const lines = out.split('\n').filter((l) => l.trim()).map(norm);
  if (norm(out) === want || lines.includes(want)) return true;
  if (lines.some((l) => squash(l) === squash(want))) return true;
  const lit = literal(expected);
  if (lit.ok) {
    for (const l of lines) {
      const g = literal(l);
      if (g.ok && sameValue(g.value, lit.value)) return true;
      if (typeof lit.value === 'string' && norm(lit.value) === l) return true;
    }
  }
  return false;
}

function matchesValue(got, expected) {
  const lit = literal(expected);
  if (lit.ok && sameValue(got, lit.value)) return true;
  const shown = typeof got === 'string' ? got : util.inspect(got);
  return squash(shown) === squash(expected) || norm(String(got)) === norm(expected);
}

const words = (s) => new Set((String(s).toLowerCase().match(/[a-z0-9]+/g) || []).filter((w) => w.length > 1));

// For a claim that is no literal ("Hello, John!"): true when the text agrees with the output
// but for punctuation and case, false when both speak of the same words and differ, null
// when it is a description ("the sum of a and b"), not an output.
function loose(out, expected) {
  if (literal(expected).ok) return null;
  const a = String(out).toLowerCase().replace(/[^a-z0-9]/g, '');
  const b = String(expected).toLowerCase().replace(/[^a-z0-9]/g, '');
  if (a && b && (a === b || a.includes(b))) return true;
  const w = words(out);
  for (const x of words(expected)) if (w.has(x)) return false;
  return null;
}

function claimOf(comment) {
  const low = comment.toLowerCase();
  for (const p of PREFIXES) {
    if (low.startsWith(p)) {
      const rest = comment.slice(p.length).trim();
      if (rest) return { expected: rest, outright: true };
    }
  }
  return { expected: comment, outright: false };
}

// The message of the last error `run` caught ("fruits.contains is not a function").
let lastMessage = '';

function run(code) {
  try {
    vm.runInContext(code, ctx, { timeout: STEP_MS });
    return null;
  } catch (e) {
    if (e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'Timeout';
    lastMessage = String((e && e.message) || '').slice(0, 120);
    return (e && e.name) || 'Error';
  }
}

function evaluate(expr) {
  try {
    return { value: vm.runInContext(expr, ctx, { timeout: STEP_MS }) };
  } catch (e) {
    if (e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { error: 'Timeout' };
    return { error: (e && e.name) || 'Error', message: String((e && e.message) || '').slice(0, 120) };
  }
}

// `console.log(expr); // expected` lines, each replaced by a call that checks its claim.
const CLAIM_LINE = /^(\s*)console\.log\((.*)\);?\s*\/\/\s*(.+)$/;

function checkBlock(index, src) {
  if (UNSTABLE.test(src)) { say({ block: index, skipped: 'unstable' }); return ''; }
  const claims = [];
  // A module's exports run as plain declarations: the context is a script, not a module.
  const lines = src.split('\n').map((line) => line.replace(/^export\s+(default\s+)?(?=(async\s+)?(function|class|const|let|var)\b)/, '')).map((line, n) => {
    const m = CLAIM_LINE.exec(line);
    if (!m) return line;
    const { expected, outright } = claimOf(m[3].trim());
    if (!(outright || literal(expected).ok)) return line;
    claims.push({ n: n + 1, code: `console.log(${m[2]})`, expected, outright });
    return `${m[1]}__claim(${claims.length - 1}, () => [${m[2]}]);`;
  });
  const start = printed.length;
  ctx.__claim = (i, thunk) => {
    const c = claims[i];
    const before = printed.length;
    let args;
    try { args = thunk(); } catch (e) {
      const err = (e && e.name) || 'Error';
      if (!CONTEXT.has(err)) say({ claim: `line ${c.n}`, code: c.code, expected: c.expected, raised: err });
      throw e;
    }
    sandboxConsole.log(...args);
    const out = printed.slice(before).join('');
    let good = matchesText(out, c.expected);
    if (!good && !literal(c.expected).ok) {
      good = loose(out, c.expected);
      if (good === null) return;
    }
    say({ claim: `line ${c.n}`, code: c.code, expected: c.expected, got: out.trim().slice(0, 200), ok: good });
  };
  const err = run(lines.join('\n'));
  if (err && !CONTEXT.has(err) && err !== 'SyntaxError') say({ block: index, error: err, message: lastMessage });
  return printed.slice(start).join('').slice(0, CAP);
}

function checkCall(from, expr, expected) {
  const before = printed.length;
  const r = evaluate(expr.replace(/^`+|`+$/g, ''));
  if (r.error) {
    if (!CONTEXT.has(r.error) && r.error !== 'SyntaxError') say({ claim: from, code: expr, expected, raised: r.error });
    return;
  }
  const out = printed.slice(before).join('');
  let good = matchesValue(r.value, expected) || (out && matchesText(out, expected));
  if (!good && !literal(expected).ok) {
    good = loose(out || String(r.value), expected);
    if (good === null) return;
  }
  say({ claim: from, code: expr, expected, got: util.inspect(r.value).slice(0, 200), ok: !!good });
}

// Typical, valid arguments by parameter name, as driver.py guesses them: an off-by-one or a
// wrong API crashes on ordinary input.
const LISTS = new Set(['arr', 'array', 'nums', 'numbers', 'list', 'lst', 'items', 'values',
  'data', 'xs', 'seq', 'elements', 'ints', 'scores', 'prices', 'mylist', 'inputlist', 'arr1',
  'arr2', 'nums1', 'nums2']);
const STRINGS = new Set(['s', 'str', 'text', 'string', 'word', 'sentence', 'phrase', 'input',
  'inputstring', 'inputstr', 'name', 'msg', 'message', 'line', 'title', 'str1', 'str2']);
const INTS = new Set(['n', 'k', 'num', 'number', 'count', 'limit', 'm', 'size', 'length', 'x',
  'y', 'b', 'i', 'j', 'base', 'exp', 'exponent', 'start', 'end', 'low', 'high', 'depth', 'num1',
  'num2', 'lo', 'hi', 'w', 'h', 'width', 'height', 'age', 'index', 'idx', 'steps', 'times',
  'digits']);
const WORD_LISTS = new Set(['words', 'names', 'strings', 'strs', 'wordlist', 'lines', 'sentences']);
const GRIDS = new Set(['matrix', 'grid', 'board', 'mat']);
const MAPPINGS = new Set(['obj', 'dict', 'mapping', 'counts', 'inventory']);
const YEARS = new Set(['year', 'yr']);
const TARGETS = new Set(['target', 'key', 'value', 'val', 'item', 'needle', 'elem', 'element', 'x']);
// Errors ordinary arguments should never cause in working code: a property of a missing
// element (an index past the end), runaway recursion, a loop that never ends.
const CRASH = /Cannot read properties of (undefined|null)|Maximum call stack|Invalid array length/;
// A method the string or array passed does not have, when it is a method of the other type
// or another language's (`s.reverse()`, `arr.append(x)`); a Map's methods are left out: a
// missing `.get` means the function wanted a Map, not that it is wrong.
const OWN = (o) => Object.getOwnPropertyNames(o)
  .filter((m) => typeof Object.getOwnPropertyDescriptor(o, m).value === 'function');
const MAP_METHODS = new Set(OWN(Map.prototype));
const FOREIGN = new Set([...OWN(Array.prototype), ...OWN(String.prototype), 'append', 'len',
  'lower', 'upper', 'strip', 'contains', 'size', 'isEmpty', 'equals', 'length']
  .filter((m) => !MAP_METHODS.has(m) && m !== 'constructor' && m !== 'toString'));
const NOT_A_FUNCTION = /\.(\w+) is not a function$/;

function crash(message) {
  const m = NOT_A_FUNCTION.exec(message);
  return CRASH.test(message) || (m !== null && FOREIGN.has(m[1]));
}

function params(name) {
  const r = evaluate(`String(${name})`);
  if (r.error || typeof r.value !== 'string') return null;
  const src = r.value;
  const m = /^[^(=]*\(([^)]*)\)/.exec(src) || /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (!m) return null;
  const list = m[1].split(',').map((p) => p.trim()).filter(Boolean);
  if (list.some((p) => /[=.{[]/.test(p))) return null;
  return list.map((p) => p.toLowerCase());
}

function argumentsFor(names) {
  if (!names || names.length === 0 || names.length > 3) return [];
  const hasList = names.some((n) => LISTS.has(n));
  const tries = [[], [], []];
  for (const n of names) {
    let picks;
    if (hasList && TARGETS.has(n) && !LISTS.has(n)) picks = [7, 4, 10];
    else if (LISTS.has(n)) picks = [[1, 3, 5, 7, 9], [1, 3, 5, 7, 9], [1, 3, 5, 7, 9]];
    else if (STRINGS.has(n)) picks = ['racecar', 'hello world', 'abc'];
    else if (WORD_LISTS.has(n)) picks = [['apple', 'Banana', 'cherry'], ['a', 'bb', 'a'], ['hello', 'world']];
    else if (GRIDS.has(n)) picks = [[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2], [3, 4]], [[5]]];
    else if (MAPPINGS.has(n)) picks = [{ a: 1, b: 2 }, { x: 3 }, { a: 2, c: 0 }];
    else if (YEARS.has(n)) picks = [2024, 1900, 2000];
    else if (INTS.has(n)) picks = [5, 1, 10];
    else return [];
    picks.forEach((v, i) => tries[i].push(v));
  }
  return tries;
}

function smoke(defined) {
  for (const name of defined) {
    const f = evaluate(`typeof ${name}`);
    if (f.error || f.value !== 'function') continue;
    const src = evaluate(`String(${name})`).value || '';
    if (/\b(split|indexOf|match|search|find|querySelector|getElementById)\b/.test(src)) continue;
    for (const args of argumentsFor(params(name))) {
      const shown = `${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`;
      try {
        vm.runInContext(shown, ctx, { timeout: STEP_MS });
      } catch (e) {
        const timeout = e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
        const message = String((e && e.message) || '');
        if (timeout || crash(message)) {
          say({ smoke: shown, raised: timeout ? 'Timeout' : (e && e.name) || 'Error', message: message.slice(0, 120) });
          return;
        }
      }
    }
  }
}

// The prompt asks what its code prints or gives, and the answer says: run the code in a
// context of its own, and see whether what the answer says is what it does.
function checkQuestion(code, claims, said) {
  const out = [];
  const own = { log: (...a) => { if (out.join('').length < CAP) out.push(fmt(a) + '\n'); } };
  own.info = own.log;
  const qctx = vm.createContext({ console: own });
  if (UNSTABLE.test(code)) return;
  let value;
  let err = null;
  try {
    value = vm.runInContext(code, qctx, { timeout: STEP_MS });
  } catch (e) {
    err = e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' ? 'Timeout' : (e && e.name) || 'Error';
  }
  if (err === 'SyntaxError' || err === 'ReferenceError' || err === 'Timeout') return;
  const printed = out.join('');
  let actual;
  let hit;
  if (err) {
    actual = err;
    hit = claims.some((c) => c.toLowerCase().includes(err.toLowerCase()) || /error/i.test(c));
  } else if (printed.trim()) {
    actual = printed.trim();
    hit = claims.some((c) => matchesText(printed, c)) || standalone(actual, said);
  } else if (value !== undefined) {
    actual = util.inspect(value);
    hit = claims.some((c) => matchesValue(value, c)) || standalone(actual, said)
      || standalone(String(value), said);
  } else {
    return;
  }
  const stated = claims.filter((c) => literal(c).ok || c.startsWith('`'));
  if (!stated.length && !hit) return;
  const expected = (stated[0] || claims[0]).replace(/^`+|`+$/g, '');
  say({ claim: "the prompt's code", code: code.slice(0, 200), expected: expected.slice(0, 200), got: actual.slice(0, 200), ok: !!hit });
}

// Whether a one-line value appears in `said` as a whole item, not inside a list, a number
// or a word ("…, which is 3.").
function standalone(value, said) {
  const v = String(value).trim();
  if (!v || v.includes('\n') || v.length > 60 || !said) return false;
  const esc = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w\\[(,.+*/'"-])${esc}(?![\\w\\]),+*/'"]|\\.\\d)`).test(said);
}

// The request names a textbook pattern: each of the answer's candidates is tried on strings
// it must match whole and strings it must not. One that holds is enough; else the first
// that compiles is reported with the string it gets wrong.
function checkPattern(p) {
  let wrong = null;
  for (const cand of p.candidates) {
    const lit = /^\/(.+)\/([a-z]*)$/.exec(cand);
    let src = lit ? lit[1] : cand;
    if (!lit && /^[rRbBuU]{0,2}['"]/.test(cand)) {
      try { src = JSON.parse(cand.replace(/^[rRbBuU]+/, '')); } catch (_) { continue; }
      if (typeof src !== 'string') continue;
    }
    let rx;
    try {
      rx = new RegExp(`^(?:${src})$`, lit && lit[2].includes('i') ? 'i' : '');
    } catch (_) {
      continue;
    }
    const miss = p.matches.find((s) => !rx.test(s));
    const extra = p.rejects.find((s) => rx.test(s));
    if (miss === undefined && extra === undefined) {
      say({ claim: 'the pattern', code: cand.slice(0, 200), expected: '', got: '', ok: true });
      return;
    }
    if (!wrong) {
      wrong = [cand, miss !== undefined ? `does not match '${miss}'` : `matches '${extra}'`];
    }
  }
  if (wrong) {
    say({ claim: 'the pattern', code: wrong[0].slice(0, 200), expected: `a pattern for ${p.name}`, got: wrong[1], ok: false });
  }
}

// The request asks for a run of whole numbers printed: what each block printed, when it
// printed numbers and nothing else, is compared with it (two ways to do it must both be
// right).
function checkPrints([a, b], outs) {
  const want = [];
  for (let k = a; a <= b ? k <= b : k >= b; k += a <= b ? 1 : -1) want.push(k);
  for (const out of outs) {
    if (!out || !out.trim() || out.replace(/[-\d\s,[\]]/g, '')) continue;
    const got = (out.match(/-?\d+/g) || []).slice(0, 2000).map(Number);
    const shown = got.length <= 6 ? got.join(' ') : `${got.slice(0, 3).join(' ')} … ${got.slice(-2).join(' ')}`;
    const ok = sameJson(got, want);
    say({ claim: 'the printed numbers', code: '', expected: `${a} to ${b}`, got: shown, ok });
    if (!ok) return;
  }
}

function main() {
  const payload = JSON.parse(process.argv[1]);
  const outs = {};
  (payload.blocks || []).forEach((src, i) => { outs[i] = checkBlock(i, src); });
  for (const c of payload.calls || []) checkCall(c.from, c.expr, c.expected);
  for (const o of payload.outputs || []) {
    const p = outs[o.block];
    if (!p || !p.trim()) continue;
    let good = matchesText(p, o.expected) || norm(p).includes(norm(o.expected));
    if (!good && !literal(o.expected).ok) {
      good = loose(p, o.expected);
      if (good === null) continue;
    }
    say({ claim: `output of block ${o.block + 1}`, code: '', expected: o.expected.slice(0, 200), got: p.trim().slice(0, 200), ok: good });
  }
  if (payload.pattern) checkPattern(payload.pattern);
  if (payload.prints) checkPrints(payload.prints, Object.values(outs));
  if (payload.question) checkQuestion(payload.question.code, payload.question.claims, payload.question.said || '');
  smoke(payload.defined || []);
  if ((payload.spec || []).length) {
    const words = new Set(payload.words || []);
    checkSpec(payload.spec, words, payload.defined || []);
    checkKnown(payload.spec, words, payload.defined || []);
  }
  say({ done: true });
}
