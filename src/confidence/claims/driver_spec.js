// What the prompt asks of the draft's function, tested as properties, as driver_spec.py does
// for Python. Part of the driver: driver.js and this file run as one program, and `main()`
// is called after them.

const COUNTS = new Set(['n', 'k', 'm', 'count', 'num', 'number', 'size', 'limit', 'pagesize',
  'perpage', 'amount', 'howmany', 'numitems', 'top', 'topk', 'length', 'itemsperpage']);
const PAGES = new Set(['page', 'pagenum', 'pagenumber', 'pageno', 'pageindex']);
const SEQS = new Set([...LISTS, ...WORD_LISTS, ...STRINGS, 'records', 'rows', 'entries',
  'collection', 'iterable', 'vals', 'results', 'chars']);

function roleOf(name) {
  const n = name.replace(/_/g, '');
  if (PAGES.has(n)) return 'page';
  if (COUNTS.has(n)) return 'count';
  if (SEQS.has(n)) return 'seq';
  if (TARGETS.has(n)) return 'target';
  return null;
}

function rolesOf(name) {
  const ps = params(name);
  if (!ps || ps.length === 0) return null;
  const rs = ps.map(roleOf);
  return rs.includes(null) ? null : { rs, ps };
}

const nameWords = (n) => new Set(n.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
  .split('_').filter((w) => w.length > 2));

function pickFn(fits, words) {
  if (fits.length === 1) return fits[0];
  const scored = fits.map((f, i) => [[...nameWords(f.name)].filter((w) => words.has(w)).length, i])
    .sort((a, b) => b[0] - a[0]);
  if (!scored.length || scored[0][0] === 0 || (scored.length > 1 && scored[1][0] === scored[0][0])) return null;
  return fits[scored[0][1]];
}

// `name(...args)` inside the context with its time limit: { value } or { error }.
function callFn(name, args) {
  const shown = `${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`;
  try {
    return { shown, value: vm.runInContext(`${name}(...${JSON.stringify(args)})`, ctx, { timeout: STEP_MS }) };
  } catch (e) {
    const timeout = e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
    const message = String((e && e.message) || '');
    if (timeout || crash(message)) {
      say({ smoke: shown, raised: timeout ? 'Timeout' : (e && e.name) || 'Error', message: message.slice(0, 120) });
    }
    return { shown, error: true };
  }
}

const shortJson = (v) => { const t = v === undefined ? 'undefined' : JSON.stringify(v); return t.length <= 40 ? t : t.slice(0, 37) + '...'; };
const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function failed(call, got, want) {
  const shown = got && got.raised ? `raises ${got.raised}` : shortJson(got);
  say({ claim: 'the request', code: call.shown.slice(0, 200), expected: shortJson(want), got: shown, ok: false });
  return false;
}

const charsOf = (vals) => vals.map((v) => String.fromCharCode(97 + ((v - 1) % 26))).join('');
function seqOf(param, vals) {
  if (WORD_LISTS.has(param)) return vals.map((v) => `w${v}`);
  if (STRINGS.has(param)) return charsOf(vals);
  return vals;
}
const argsFor = (rs, seq, o) => rs.map((r) => (r === 'seq' ? seq : o[r]));
const sized = (v) => Array.isArray(v) || typeof v === 'string';

function countedCheck(spec, f) {
  const n = f.rs.includes('count') ? 5 : spec.count;
  if (n === null || n === undefined) return null;
  if (!f.rs.includes('seq')) {
    if (spec.kind !== 'first_n' || f.rs.length !== 1) return null;
    const c = callFn(f.name, [n]);
    if (c.error || !Array.isArray(c.value)) return null;
    return c.value.length === n ? true : failed(c, c.value, `${n} items`);
  }
  const param = f.ps[f.rs.indexOf('seq')];
  if (spec.kind === 'extremes' && !LISTS.has(param)) return null;
  const total = Math.max(20, n + 10);
  const order = spec.kind === 'extremes' ? [5, 1, 9, 3, 7, 2, 8, 4, 6, 10] : [];
  const vals = [...order, ...Array.from({ length: total - order.length }, (_, i) => i + 1 + order.length)];
  const seq = seqOf(param, vals);
  const c = callFn(f.name, argsFor(f.rs, seq, { count: n }));
  if (c.error || !sized(c.value)) return null;
  let want;
  let got = c.value;
  if (spec.kind === 'last_n') want = seq.slice(-n);
  else if (spec.kind === 'first_n') want = seq.slice(0, n);
  else {
    if (typeof seq === 'string' || typeof got === 'string') return null;
    const ranked = [...seq].sort((a, b) => (spec.largest ? b - a : a - b));
    want = ranked.slice(0, n).sort((a, b) => a - b);
    got = [...got].sort((a, b) => a - b);
  }
  return sameJson(got, want) ? true : failed(c, c.value, want);
}

function extremeCheck(spec, f) {
  if (f.rs.length !== 1 || f.rs[0] !== 'seq' || !LISTS.has(f.ps[0])) return null;
  for (const seq of [[3, -2, 9, 4], [-5, -2, -9], [4, 2, 8], [7]]) {
    const c = callFn(f.name, [seq]);
    if (c.error || typeof c.value !== 'number') return null;
    const want = spec.largest ? Math.max(...seq) : Math.min(...seq);
    if (c.value !== want) return failed(c, c.value, want);
  }
  return true;
}

function uniqueCheck(spec, f) {
  if (f.rs.length !== 1 || f.rs[0] !== 'seq') return null;
  const dups = seqOf(f.ps[0], [3, 1, 3, 2, 1, 2]);
  const c = callFn(f.name, [dups]);
  if (c.error) return null;
  if (typeof c.value === 'boolean') {
    const o = callFn(f.name, [seqOf(f.ps[0], [1, 2, 3])]);
    if (o.error || typeof o.value !== 'boolean') return null;
    return o.value !== c.value ? true : failed(c, c.value, !c.value);
  }
  let got = c.value instanceof Object && typeof c.value.size === 'number' && !sized(c.value) ? [...c.value] : c.value;
  if (!sized(got)) return null;
  const want = [...new Set(dups)];
  got = [...got];
  const same = spec.ordered ? sameJson(got, want)
    : got.length === new Set(got).size && sameJson([...got].sort(), [...want].sort());
  return same ? true : failed(c, c.value, typeof dups === 'string' ? want.join('') : want);
}

function parityCheck(spec, f) {
  if (f.rs.length !== 1 || f.rs[0] !== 'seq' || !LISTS.has(f.ps[0])) return null;
  const seq = [1, 2, 3, 4, 5, 6, 8];
  const picked = seq.filter((x) => (x % 2 === 0) === spec.even);
  const c = callFn(f.name, [seq]);
  if (c.error || c.value === undefined || c.value === null) return null;
  if (spec.reduce === 'list') {
    if (!Array.isArray(c.value)) return null;
    return sameJson([...c.value].sort((a, b) => a - b), picked) ? true : failed(c, c.value, picked);
  }
  if (typeof c.value !== 'number') return null;
  const want = spec.reduce === 'sum' ? picked.reduce((a, b) => a + b, 0) : picked.length;
  return c.value === want ? true : failed(c, c.value, want);
}

function indexCheck(spec, f) {
  if ([...f.rs].sort().join() !== 'seq,target' || !LISTS.has(f.ps[f.rs.indexOf('seq')])) return null;
  const arr = [1, 3, 5, 7, 9, 11, 13];
  for (const t of [1, 7, 13]) {
    const c = callFn(f.name, argsFor(f.rs, arr, { target: t }));
    if (c.error || typeof c.value !== 'number') return null;
    if (arr[c.value] !== t) return failed(c, c.value, arr.indexOf(t));
  }
  if (spec.missing === 'unsaid') return true;
  const want = spec.missing === 'minus_one' ? -1 : null;
  for (const t of [0, 4, 14]) {
    const c = callFn(f.name, argsFor(f.rs, arr, { target: t }));
    if (c.error) return null;
    const got = c.value === undefined && want === null ? null : c.value;
    if (got !== want) return failed(c, c.value, want);
  }
  return true;
}

function sortedCheck(spec, f) {
  if (f.rs.length !== 1 || f.rs[0] !== 'seq') return null;
  const words = WORD_LISTS.has(f.ps[0]);
  if (!words && !LISTS.has(f.ps[0])) return null;
  const seq = words ? ['pear', 'apple', 'fig', 'banana'] : [5, 20, 9, 100, 5, 3];
  const c = callFn(f.name, [seq]);
  if (c.error || !Array.isArray(c.value)) return null;
  const want = [...seq].sort(words ? undefined : (a, b) => a - b);
  if (spec.descending) want.reverse();
  return sameJson(c.value, want) ? true : failed(c, c.value, want);
}

function pageCheck(spec, f) {
  if ([...f.rs].sort().join() !== 'count,page,seq') return null;
  const items = Array.from({ length: 20 }, (_, i) => i + 1);
  const c = callFn(f.name, argsFor(f.rs, items, { count: 3, page: 2 }));
  if (c.error || !Array.isArray(c.value)) return null;
  const one = [4, 5, 6];
  const zero = [7, 8, 9];
  const wants = spec.one_based === true ? [one] : spec.one_based === false ? [zero] : [one, zero];
  return wants.some((w) => sameJson(c.value, w)) ? true : failed(c, c.value, wants[0]);
}

const CHECKS = { last_n: countedCheck, first_n: countedCheck, extremes: countedCheck,
  extreme: extremeCheck, unique: uniqueCheck, parity: parityCheck, index_of: indexCheck,
  sorted: sortedCheck, page: pageCheck };

function checkSpec(specs, words, defined) {
  const fits = [];
  for (const name of defined) {
    const t = evaluate(`typeof ${name}`);
    if (t.error || t.value !== 'function') continue;
    const r = rolesOf(name);
    if (r) fits.push({ name, ...r });
  }
  const f = pickFn(fits, words);
  if (!f) return;
  for (const spec of specs) {
    const check = CHECKS[spec.kind];
    if (!check) continue;
    const result = check(spec, f);
    if (result === true) say({ claim: 'the request', code: f.name, expected: '', got: '', ok: true });
    if (result === false) return;
  }
}
