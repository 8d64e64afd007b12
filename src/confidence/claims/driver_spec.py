# What the prompt asks of the draft's function, tested as properties (confidence::claims::spec
# reads them from the prompt). Part of the driver: driver.py, this file and
# driver_rewrite.py run as one program, in that order, and `main()` is called after them.

COUNTS = {"n", "k", "m", "count", "num", "number", "size", "limit", "page_size", "per_page",
          "amount", "how_many", "num_items", "top", "top_k", "topk", "num_lines", "n_lines",
          "lines_count", "length", "pagesize", "perpage", "items_per_page"}
PAGES = {"page", "page_num", "page_number", "page_no", "pageno", "page_index"}
PATHS = {"path", "filename", "file_path", "filepath", "fname", "file_name", "file", "infile",
         "input_file", "json_path", "config_path", "csv_path", "log_path", "log_file",
         "logfile", "fpath", "filename_or_path", "path_to_file", "in_path"}
SEQS = LISTS | WORD_LISTS | STRINGS | {"records", "rows", "entries", "collection", "iterable",
                                       "vals", "population", "results", "chars"}
LINES = [f"line {i}" for i in range(1, 21)]


def role_of(name):
    n = name.lower()
    for role, names in (("page", PAGES), ("count", COUNTS), ("path", PATHS), ("seq", SEQS),
                        ("target", TARGETS)):
        if n in names:
            return role
    return None


def roles(fn):
    """The role of each leading parameter of `fn` ("seq", "count", ...), or None when a
    parameter without a default has none. Parameters with defaults after the last known one
    keep their defaults."""
    import inspect
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    out = []
    for p in params:
        required = p.default is inspect.Parameter.empty
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            if required and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                return None
            continue
        role = role_of(p.name)
        if role is None:
            if required:
                return None
            break
        out.append(role)
    return out


def name_words(name):
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return {w.lower() for w in spaced.split("_") if len(w) > 2}


def pick(fits, words):
    """The function the prompt asks for among those whose parameters fit a property: the
    one whose name shares most words with the prompt; None when that does not decide."""
    if len(fits) == 1:
        return fits[0]
    scored = sorted(((len(name_words(n) & words), i) for i, (n, _f, _r) in enumerate(fits)),
                    reverse=True)
    if not scored or scored[0][0] == 0 or len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return fits[scored[0][1]]


def call(fn, args):
    """`fn(*args)` as `run_step` runs a step (output captured, a time limit): (value, error
    name). A generator or iterator result is read into a list within the same limit."""
    ns = {"__f": fn, "__a": args, "__listed": listed}
    _out, value, err = run_step(ast.parse("__listed(__f(*__a))", mode="eval"), ns)
    return value, err


def listed(value):
    """An iterator's first 1000 items as a list; any other value as it is."""
    import types
    if isinstance(value, (types.GeneratorType, map, filter, zip, reversed)) \
            or type(value).__name__ in ("dict_keys", "dict_values", "list_iterator"):
        return list(value)[:1000]
    return value


def file_for(fn):
    """The scratch file a function that takes a path most likely reads: JSON or CSV when its
    code uses those modules, else lines of text."""
    names = set(fn.__code__.co_names)
    if "json" in names:
        return "data.json"
    if "csv" in names or "DictReader" in names:
        return "data.csv"
    return "lines.txt"


def reads_a_prompt_file(fn):
    """[[]] (one call without arguments) for a function of no parameters that names a file
    the prompt names, which the scratch directory now holds; else []."""
    import inspect
    try:
        if inspect.signature(fn).parameters:
            return []
    except (TypeError, ValueError):
        return []
    return [[]] if PROMPT_FILES & set(c for c in fn.__code__.co_consts if isinstance(c, str)) \
        else []


# Ordinary content for a file the prompt names, by its extension.
CONTENT = {"json": '{"name": "demo", "debug": true, "port": 8080, "tags": ["a", "b"]}\n',
           "csv": "name,age,city\nAda,36,London\nLin,29,Paris\nSam,41,Rome\n",
           "yaml": "name: demo\nport: 8080\n", "yml": "name: demo\nport: 8080\n",
           "ini": "[server]\nport = 8080\n", "cfg": "[server]\nport = 8080\n",
           "toml": 'name = "demo"\nport = 8080\n'}
PROMPT_FILES = set()


def write_prompt_files(names):
    """Creates the files the prompt names (`settings.json`, `access.log`) in the scratch
    directory, so code that opens them runs instead of stopping at FileNotFoundError."""
    for name in names[:8]:
        if not re.fullmatch(r"[\w.-]{1,64}\.(\w{1,5})", name) or name.startswith("."):
            continue
        ext = name.rsplit(".", 1)[1].lower()
        try:
            with open(name, "x") as f:
                f.write(CONTENT.get(ext, "\n".join(LINES) + "\n"))
            PROMPT_FILES.add(name)
        except FileExistsError:
            PROMPT_FILES.add(name)
        except OSError:
            continue


def write_files():
    """Files for parameters named for a path: lines, JSON and CSV, in the scratch directory.
    False when the directory cannot be written."""
    try:
        with open("lines.txt", "w") as f:
            f.write("\n".join(LINES) + "\n")
        with open("data.json", "w") as f:
            f.write('{"name": "demo", "debug": true, "port": 8080, "tags": ["a", "b"]}\n')
        with open("data.csv", "w") as f:
            f.write("name,age,city\nAda,36,London\nLin,29,Paris\nSam,41,Rome\n")
        return True
    except OSError:
        return False


def seq_for(param, kind):
    """A sequence of `kind` ("ints", "words", "chars", "lines") for parameter `param`."""
    n = param.lower()
    if n in PATHS:
        return "path"
    if n in STRINGS and n not in ("line",):
        return "chars"
    if n in WORD_LISTS:
        return "words"
    return kind


def materialise(kind, values):
    """The argument for a sequence of `values` (ints) given as `kind`."""
    if kind == "words":
        return [f"w{v}" for v in values]
    if kind == "chars":
        return "".join(chr(ord("a") + (v - 1) % 26) for v in values)
    return list(values)


def shown_arg(a):
    r = repr(a)
    return r if len(r) <= 40 else r[:37] + "..."


def as_items(value):
    """A sized result as a list of items (a str of lines as its lines), else None."""
    import collections
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, collections.deque)):
        return [v.strip() if isinstance(v, str) else v for v in value]
    return None


def fail(name, args, got, expected, raised=None):
    """Reports a broken property; False, for the check to return. With `raised`, the call
    raised that error instead of giving a value."""
    shown = f"raises {raised}" if raised else shown_arg(got)
    say(claim="the request", code=f"{name}({', '.join(shown_arg(a) for a in args)})"[:200],
        expected=str(expected)[:200], got=shown[:200], ok=False)
    return False


def held(name):
    """Reports a property that held."""
    say(claim="the request", code=name, expected="", got="", ok=True)


def try_call(name, fn, args):
    value, err = call(fn, copy_args(args))
    if crashed(err):
        say(smoke=f"{name}({', '.join(shown_arg(a) for a in args)})", raised=err,
            message=LAST_MESSAGE)
        return None, True
    return value, err is not None


def copy_args(args):
    import copy
    return [copy.deepcopy(a) for a in args]


def build(rs, seq, count=None, page=None, target=None):
    """Arguments in the order of the roles `rs`."""
    args = []
    for r in rs:
        args.append({"seq": seq, "path": seq, "count": count, "page": page,
                     "target": target}[r])
    return args


def counted_check(spec, name, fn, rs, params):
    """LastN / FirstN / Extremes: the right number of items, and the right ones."""
    kind = spec["kind"]
    literal = spec.get("count")
    n = 5 if "count" in rs else literal
    if n is None:
        return None
    if not ({"seq", "path"} & set(rs)):
        # "the first n primes": a series of n items.
        if kind != "first_n" or rs != ["count"]:
            return None
        value, bad = try_call(name, fn, [n])
        items = as_items(value)
        if bad or items is None or isinstance(items, str):
            return None
        return True if len(items) == n else fail(name, [n], value, f"{n} items")
    seqp = params[rs.index("seq" if "seq" in rs else "path")]
    kind_of_seq = seq_for(seqp, "ints")
    if kind == "extremes" and kind_of_seq != "ints":
        return None
    total = max(20, n + 10)
    if kind_of_seq == "path":
        if total > 20 or not FILES:
            return None
        values, seq = LINES, "lines.txt"
    else:
        values = materialise(kind_of_seq, range(1, total + 1))
        if kind != "extremes":
            seq = values
        else:
            order = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10] + list(range(11, total + 1))
            seq = materialise(kind_of_seq, order)
            values = seq
    args = build(rs, seq, count=n)
    if None in args:
        return None
    value, bad = try_call(name, fn, args)
    items = as_items(value)
    if bad or items is None:
        return None
    if isinstance(items, str):
        items = items.splitlines() if kind_of_seq == "path" else items
        if kind_of_seq != "path" and kind_of_seq != "chars":
            return None
    if kind == "last_n":
        want = values[-n:]
    elif kind == "first_n":
        want = values[:n]
    else:
        ranked = sorted(values, reverse=spec.get("largest", True))
        want = sorted(ranked[:n])
        try:
            items = sorted(items)
        except TypeError:
            return None
    if isinstance(want, str) and not isinstance(items, str):
        items = "".join(map(str, items))
    return True if list(items) == list(want) else fail(name, args, value, shown_arg(want))


def extreme_check(spec, name, fn, rs, params):
    if rs != ["seq"] or seq_for(params[0], "ints") != "ints":
        return None
    pick_ = max if spec["largest"] else min
    for seq in ([3, -2, 9, 4], [-5, -2, -9], [4, 2, 8], [7]):
        value, bad = try_call(name, fn, [seq])
        if bad or isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if value != pick_(seq):
            return fail(name, [seq], value, pick_(seq))
    return True


def unique_check(spec, name, fn, rs, params):
    if rs != ["seq"]:
        return None
    kind = seq_for(params[0], "ints")
    dups = materialise(kind, [3, 1, 3, 2, 1, 2])
    plain = materialise(kind, [1, 2, 3])
    value, bad = try_call(name, fn, [dups])
    if bad:
        return None
    if isinstance(value, bool):
        other, bad = try_call(name, fn, [plain])
        if bad or not isinstance(other, bool):
            return None
        return True if other != value else fail(name, [dups], value, f"{not value} (it has duplicates)")
    items = value if isinstance(value, (set, frozenset)) else as_items(value)
    if items is None or isinstance(value, (set, frozenset)) and spec["ordered"]:
        return None
    want = list(dict.fromkeys(dups))
    got = list(items)
    same = sorted(map(str, got)) == sorted(map(str, want)) and len(got) == len(set(map(str, got)))
    if spec["ordered"] and not isinstance(value, (set, frozenset)):
        same = same and [str(g) for g in got] == [str(w) for w in want]
    if same and isinstance(dups, list) and all(type(g) is type(dups[0]) for g in got):
        return True
    if same and isinstance(dups, str):
        return True
    return fail(name, [dups], value, shown_arg(want if isinstance(dups, list) else "".join(want)))


def parity_check(spec, name, fn, rs, params):
    if rs != ["seq"] or seq_for(params[0], "ints") != "ints":
        return None
    seq = [1, 2, 3, 4, 5, 6, 8]
    picked = [x for x in seq if (x % 2 == 0) == spec["even"]]
    value, bad = try_call(name, fn, [seq])
    if bad or value is None:
        return None
    reduce = spec["reduce"]
    if reduce == "list":
        items = as_items(value)
        if items is None or isinstance(items, str):
            return None
        return True if sorted(items) == picked else fail(name, [seq], value, picked)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    want = sum(picked) if reduce == "sum" else len(picked)
    return True if value == want else fail(name, [seq], value, want)


def index_check(spec, name, fn, rs, params):
    if sorted(rs) != ["seq", "target"] or seq_for(params[rs.index("seq")], "ints") != "ints":
        return None
    arr = [1, 3, 5, 7, 9, 11, 13]
    for t in (1, 7, 13):
        args = build(rs, arr, target=t)
        value, bad = try_call(name, fn, args)
        if bad:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        if not (-len(arr) <= value < len(arr)) or arr[value] != t or value < 0:
            return fail(name, args, value, arr.index(t))
    missing = spec["missing"]
    if missing == "unsaid":
        return True
    want = -1 if missing == "minus_one" else None
    for t in (0, 4, 14):
        args = build(rs, arr, target=t)
        value, bad = try_call(name, fn, args)
        if bad:
            return None
        if value != want or isinstance(value, bool):
            return fail(name, args, value, want)
    return True


def sorted_check(spec, name, fn, rs, params):
    if rs != ["seq"]:
        return None
    kind = seq_for(params[0], "ints")
    if kind not in ("ints", "words"):
        return None
    seq = [5, 20, 9, 100, 5, 3] if kind == "ints" else ["pear", "apple", "fig", "banana"]
    arg = copy_args([seq])
    value, err = call(fn, arg)
    if crashed(err):
        try_call(name, fn, [seq])
        return None
    if err:
        return None
    got = arg[0] if value is None else value
    items = as_items(got)
    if items is None or isinstance(items, str):
        return None
    want = sorted(seq, reverse=spec["descending"])
    return True if list(items) == want else fail(name, [seq], got, want)


def page_check(spec, name, fn, rs, params):
    if sorted(rs) != ["count", "page", "seq"]:
        return None
    items = list(range(1, 21))
    args = build(rs, items, count=3, page=2)
    value, bad = try_call(name, fn, args)
    got = as_items(value)
    if bad or got is None or isinstance(got, str):
        return None
    one, zero = [4, 5, 6], [7, 8, 9]
    want = {True: [one], False: [zero], None: [one, zero]}[spec["one_based"]]
    return True if list(got) in want else fail(name, args, value, want[0])


CHECKS = {"last_n": counted_check, "first_n": counted_check, "extremes": counted_check,
          "extreme": extreme_check, "unique": unique_check, "parity": parity_check,
          "index_of": index_check, "sorted": sorted_check, "page": page_check}
FILES = False


def check_spec(specs, words, src_names):
    """Tests the function the prompt asks for against each property the prompt states; one
    broken property at most is reported."""
    import inspect, types
    fits = [(n, f, roles(f)) for n, f in NS.items() if n in src_names
            and isinstance(f, types.FunctionType) and f.__code__.co_filename == "<draft>"]
    chosen = pick([fit for fit in fits if fit[2]], words)
    if chosen is None:
        return
    n, f, rs = chosen
    params = list(inspect.signature(f).parameters)[:len(rs)]
    for spec in specs:
        check = CHECKS.get(spec.get("kind"))
        result = check(spec, n, f, rs, params) if check else None
        if result is True:
            held(n)
        elif result is False:
            return
