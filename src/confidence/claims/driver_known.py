# Textbook functions the prompt names, called on the cases confidence::claims::known gives
# for them. Part of the driver: driver.py, driver_spec.py, this file and driver_rewrite.py
# run as one program, and `main()` is called after them.


def arity_of(fn):
    """How many positional arguments `fn` needs, or None when it takes others it needs."""
    import inspect
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    need = 0
    for p in params:
        if p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL,
                                                                  p.VAR_KEYWORD):
            continue
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            return None
        need += 1
    return need


def same_kind(value, expected):
    """Whether `value` is of the kind `expected` is (a bool, a number, a text, a list), so
    that comparing them is fair; a function that prints or gives another kind is not
    judged."""
    if isinstance(expected, bool):
        return isinstance(value, bool)
    if isinstance(expected, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(expected, str):
        return isinstance(value, str)
    if isinstance(expected, list):
        return isinstance(value, (list, tuple))
    return False


def equal(value, expected):
    if isinstance(expected, bool) or isinstance(expected, str):
        return value == expected
    if isinstance(expected, (int, float)):
        return abs(value - expected) <= 1e-6 * max(1.0, abs(expected))
    return list(value) == expected


def case_result(fn, case, mutable):
    """(value or None, error name or None) of one case; with `mutable`, the argument as the
    function left it when it returned None (an in-place change)."""
    args = copy_args(case["a"])
    value, err = call(fn, args)
    if err is None and value is None and mutable:
        value = args[0]
    return value, err


def wanted(case):
    return case["any"] if "any" in case else [case["e"]]


def run_suite(name, fn, suite):
    """True when every case gives what it should, False when one does not (reported), None
    when the suite does not apply (its first case fails or gives another kind)."""
    mutable = isinstance(suite, dict) and suite.get("mut")
    cases = suite["cases"] if isinstance(suite, dict) else suite
    for i, case in enumerate(cases):
        want = wanted(case)
        value, err = case_result(fn, case, mutable)
        first = i == 0
        if err is not None or not same_kind(value, want[0]):
            # A first case that does not fit says the suite does not apply. One that never
            # ends (no base case, a loop that cannot stop), or raises an error the function
            # itself names (its own `raise ValueError` reached on an ordinary input), is the
            # function's fault.
            own = err is not None and err in fn.__code__.co_names
            if first and not own and err not in ("RecursionError", "Timeout"):
                return None
            return fail(name, case["a"], value, want[0], raised=err)
        if not any(equal(value, w) for w in want):
            return fail(name, case["a"], value, want[0])
    return True


def check_known(specs, words, src_names):
    """Calls the function the prompt asks for on each named textbook function's cases; one
    failure at most is reported."""
    import types
    for spec in specs:
        if spec.get("kind") != "known":
            continue
        fits = [(n, f, None) for n, f in NS.items() if n in src_names
                and isinstance(f, types.FunctionType) and f.__code__.co_filename == "<draft>"
                and arity_of(f) == spec["arity"]]
        chosen = pick(fits, words) if fits else None
        if chosen is None:
            continue
        n, f, _ = chosen
        for suite in spec["suites"]:
            result = run_suite(n, f, suite)
            if result is True:
                held(n)
            if result is not None:
                break
        else:
            continue
        if result is False:
            return
