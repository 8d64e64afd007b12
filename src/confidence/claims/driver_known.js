// Textbook functions the prompt names, called on the cases confidence::claims::known gives
// for them, as driver_known.py does for Python. Part of the driver: driver.js,
// driver_spec.js and this file run as one program, and `main()` is called after them.

// `name(...args)` in the context, quietly: { value, args } (the arguments as the function
// left them) or { error }.
function callQuiet(name, args) {
  const code = `(() => { const __a = ${JSON.stringify(args)}; const __v = ${name}(...__a); ` +
    'return [__v, __a]; })()';
  const r = evaluate(code);
  if (r.error) return { error: r.error, endless: /Maximum call stack/.test(r.message || '') };
  return { value: r.value[0], args: r.value[1] };
}

function sameKind(value, expected) {
  if (typeof expected === 'boolean') return typeof value === 'boolean';
  if (typeof expected === 'number') return typeof value === 'number';
  if (typeof expected === 'string') return typeof value === 'string';
  if (Array.isArray(expected)) return Array.isArray(value);
  return false;
}

function equalTo(value, expected) {
  if (typeof expected === 'number') return Math.abs(value - expected) <= 1e-6 * Math.max(1, Math.abs(expected));
  return sameJson(value, expected);
}

// true when every case gives what it should, false when one does not (reported), null when
// the suite does not apply (its first case fails or gives another kind).
function runSuite(name, suite) {
  const mutable = !Array.isArray(suite) && suite.mut;
  const cases = Array.isArray(suite) ? suite : suite.cases;
  for (let i = 0; i < cases.length; i += 1) {
    const c = cases[i];
    const want = 'any' in c ? c.any : [c.e];
    const r = callQuiet(name, c.a);
    let value = r.value;
    if (!r.error && value === undefined && mutable) value = r.args[0];
    const call = { shown: `${name}(${c.a.map((a) => JSON.stringify(a)).join(', ')})` };
    if (r.error || !sameKind(value, want[0])) {
      // A first case that does not fit says the suite does not apply; one that never ends
      // (no base case, a loop that cannot stop) is the function's own fault.
      if (i === 0 && r.error !== 'Timeout' && !r.endless) return null;
      return failed(call, r.error ? { raised: r.error } : value, want[0]);
    }
    if (!want.some((w) => equalTo(value, w))) return failed(call, value, want[0]);
  }
  return true;
}

function checkKnown(specs, words, defined) {
  for (const spec of specs) {
    if (spec.kind !== 'known') continue;
    const fits = [];
    for (const name of defined) {
      const t = evaluate(`typeof ${name}`);
      if (t.error || t.value !== 'function') continue;
      const ps = params(name);
      if (ps && ps.length === spec.arity) fits.push({ name });
    }
    const f = pickFn(fits, words);
    if (!f) continue;
    for (const suite of spec.suites) {
      const result = runSuite(f.name, suite);
      if (result === true) say({ claim: 'the request', code: f.name, expected: '', got: '', ok: true });
      if (result === false) return;
      if (result !== null) break;
    }
  }
}
