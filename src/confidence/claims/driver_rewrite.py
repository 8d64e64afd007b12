# A rewrite that must keep what the prompt's code does, run beside it on the same input. Part
# of the driver (see driver_spec.py).

NUMBERS = {"total", "price", "amount", "cost", "balance", "subtotal", "rate", "score", "avg",
           "average", "value", "val", "temperature", "temp", "distance", "weight"}
BUILTIN_NAMES = set(dir(__builtins__)) if not isinstance(__builtins__, dict) \
    else set(__builtins__)


def guess_for(name):
    """An ordinary value for a free variable of a snippet, by its name; None when unknown.
    The values sit on the edges a rewrite gets wrong: zero, a negative, a word of three
    letters beside longer ones, so that `>` and `>=` give different results."""
    n = name.lower()
    if n in LISTS:
        return [4, 1, 7, 10, 3, 12, 0, 5, -2]
    if n in WORD_LISTS:
        return ["apple", "", "Banana", "kiwi", "fig"]
    if n in STRINGS:
        return "Hello World"
    if n in MAPPINGS:
        return {"a": 1, "b": 0, "c": 3}
    if n in NUMBERS:
        return 12.5
    if n in INTS or n in YEARS:
        return 7
    return None


def free_names(tree):
    """Names a snippet reads without binding them (and that are not builtins)."""
    stored, loaded = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                stored.add(node.id)
            elif node.id not in loaded:
                loaded.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored.update((a.asname or a.name).split(".")[0] for a in node.names)
    return [n for n in loaded if n not in stored and n not in BUILTIN_NAMES]


def parsed(src):
    import textwrap
    for cand in (src, textwrap.dedent(src)):
        try:
            return ast.parse(cand)
        except SyntaxError:
            continue
    return None


def outcome(tree, env):
    """Runs a whole snippet in a namespace of its own with `env` bound: (namespace, printed
    output, error name)."""
    import copy
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    ns.update(copy.deepcopy(env))
    out, _value, err = run_step(tree, ns)
    return ns, out, err


def shown_env(env):
    given = ", ".join(f"{k} = {shown_arg(v)}" for k, v in env.items())
    return f"run with {given}" if given else "run as it is"


def same(a, b):
    try:
        return bool(a == b) or repr(a) == repr(b)
    except Exception:
        return repr(a) == repr(b)


def check_rewrite(original, blocks):
    """The prompt asks for a rewrite that keeps its code's behaviour: run both on the same
    ordinary input and compare what they print, the variables both set, and what functions
    of the same name return. One finding at most."""
    before = parsed(original)
    after = next((t for t in (parsed(b) for b in reversed(blocks)) if t is not None), None)
    if before is None or after is None or UNSTABLE.search(original) \
            or ast.dump(before) == ast.dump(after):
        return
    env = {}
    for name in free_names(before):
        value = guess_for(name)
        if value is None:
            return
        env[name] = value
    ns_a, out_a, err_a = outcome(before, env)
    if err_a:
        return
    ns_b, out_b, err_b = outcome(after, env)
    where = shown_env(env)
    # An error only counts when ordinary input should never cause it: the guess of a free
    # variable's type may be wrong (a list where the rewrite reads a dict).
    if err_b and not (crashed(err_b) or err_b == "ValueError"):
        return
    if err_b:
        return differs(where, out_a.strip() or "a clean run", f"{err_b}: {LAST_MESSAGE}")
    if out_a.strip() != out_b.strip() and out_a.strip() and out_b.strip():
        return differs(where, out_a.strip(), out_b.strip())
    assigned = {t.id for node in before.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    for name in sorted(assigned):
        if name in ns_b and name not in env and not callable(ns_a.get(name)):
            if not same(ns_a[name], ns_b[name]):
                return differs(f"`{name}`, {where},", shown_arg(ns_a[name]),
                               shown_arg(ns_b[name]))
    compare_functions(before, ns_a, ns_b)


def compare_functions(before, ns_a, ns_b):
    import types
    names = [n.name for n in before.body if isinstance(n, ast.FunctionDef)]
    for name in names:
        fa, fb = ns_a.get(name), ns_b.get(name)
        if not (isinstance(fa, types.FunctionType) and isinstance(fb, types.FunctionType)):
            continue
        for args in arguments(fa)[:3]:
            a, err_a = call(fa, copy_args(args))
            if err_a:
                continue
            b, err_b = call(fb, copy_args(args))
            shown = f"`{name}({', '.join(shown_arg(x) for x in args)})`"
            if err_b and (crashed(err_b) or err_b == "ValueError"):
                return differs(shown, shown_arg(a), f"{err_b}: {LAST_MESSAGE}")
            if err_b is None and not same(a, b):
                return differs(shown, shown_arg(a), shown_arg(b))


def differs(where, original, rewrite):
    say(claim="the original", code=where[:200], expected=str(original)[:200],
        got=str(rewrite)[:200], ok=False)
