# Checks the claims a draft makes about its own Python code (confidence::claims). It runs
# inside the sandbox, in an empty scratch directory, as `python3 -I -c <this> <payload>`.
# The payload (JSON) holds the draft's Python blocks and the claims read from its prose and
# from the prompt; the comment claims in the code ("print(f(5))  # 15") and doctests are
# read here, where the tokenizer tells comments from strings. One JSON line per verdict
# goes to stdout; everything the draft's code prints is captured, never passed through.
import ast, contextlib, io, json, math, re, signal, sys, tokenize

CAP = 4000
STEP_SECS = 2
# Errors that say the snippet needs something it was not given (its surroundings, a
# package, a file, input), not that it is wrong.
# A SyntaxError here is a fragment (`return` outside a function): the syntax signal judges
# syntax.
CONTEXT = {"NameError", "ModuleNotFoundError", "ImportError", "EOFError",
           "FileNotFoundError", "PermissionError", "OSError", "ConnectionError",
           "TimeoutError", "KeyboardInterrupt", "NotImplementedError", "UnboundLocalError",
           "SyntaxError", "IndentationError", "UnsupportedOperation", "SystemExit"}
# Code whose output changes from run to run: its claims cannot be checked.
UNSTABLE = re.compile(r"\b(random|time|datetime|uuid|secrets|getpass|threading|asyncio|"
                      r"multiprocessing|subprocess|socket|environ|argv)\b|\b(input|id|hash)\(")
PREFIXES = ("output:", "outputs:", "output", "outputs", "prints:", "prints", "print:",
            "returns:", "returns", "return", "result:", "result", "gives", "->", "=>",
            "\u2192", "==", "=", ":")


# The message of the last error `run_step` caught ("'str' object has no attribute 'reverse'").
LAST_MESSAGE = ""


class Slow(Exception):
    pass


def alarm(_sig, _frame):
    raise Slow()


def say(**kw):
    sys.__stdout__.write(json.dumps(kw) + "\n")


def norm(s):
    return " ".join(str(s).strip().strip("`").split())


def literal(s):
    s = s.strip().strip("`").strip()
    if s.endswith(".") and not s[:-1].replace("-", "").isdigit():
        s = s[:-1]
    for cand in (s, s.replace("true", "True").replace("false", "False").replace("null", "None")):
        try:
            return True, ast.literal_eval(cand)
        except Exception:
            pass
    return False, None


def same_value(got, want):
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        if isinstance(want, float) and not want.is_integer():
            digits = len(repr(want).split(".")[-1])
            return math.isclose(round(got, digits), want, rel_tol=1e-9, abs_tol=1e-9)
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
    try:
        return bool(got == want)
    except Exception:
        return False


def matches_text(out, expected):
    """Whether printed `out` is what `expected` says it is: the same text, one of its
    lines, or the same literal value."""
    want = norm(expected)
    if not want:
        return True
    lines = [norm(l) for l in out.splitlines() if l.strip()]
    if norm(out) == want or want in lines:
        return True
    ok, value = literal(expected)
    if ok:
        for line in lines + [norm(out)]:
            ok2, got = literal(line)
            if ok2 and same_value(got, value):
                return True
            if isinstance(value, str) and norm(value) == line:
                return True
    return False


def words(s):
    return {w for w in re.findall(r"[a-z0-9]+", str(s).lower()) if len(w) > 1}


def loose(out, expected):
    """For a claim that is no literal ("Hello, John!"): True when the text agrees with the
    output but for punctuation and case, False when both speak of the same words and
    differ, None when it is a description ("the sum of a and b") or code, not an output."""
    if literal(expected)[0]:
        return None
    try:
        ast.parse(expected.strip().strip("`"), mode="eval")
        return None
    except Exception:
        pass
    a = re.sub(r"[^a-z0-9]", "", str(out).lower())
    b = re.sub(r"[^a-z0-9]", "", expected.lower())
    if a and b and (a == b or b in a):
        return True
    if words(out) & words(expected):
        return False
    return None


def matches_value(got, expected):
    ok, value = literal(expected)
    if ok and same_value(got, value):
        return True
    return norm(repr(got)) == norm(expected) or norm(str(got)) == norm(expected)


def run_step(code, ns):
    """Runs one statement with its output captured: (printed, value or None, error name)."""
    buf = io.StringIO()
    signal.alarm(STEP_SECS)
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
            if isinstance(code, ast.Expression):
                value = eval(compile(code, "<draft>", "eval"), ns)
                return buf.getvalue()[:CAP], value, None
            exec(compile(code, "<draft>", "exec"), ns)
            return buf.getvalue()[:CAP], None, None
    except Slow:
        return buf.getvalue()[:CAP], None, "Timeout"
    except BaseException as e:
        global LAST_MESSAGE
        LAST_MESSAGE = str(e)[:120]
        return buf.getvalue()[:CAP], None, type(e).__name__
    finally:
        signal.alarm(0)


def comments(src):
    """Comment text by line number, for lines that also hold code."""
    out = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            if tok.type == tokenize.COMMENT:
                line = tok.line[: tok.start[1]].strip()
                if line:
                    out[tok.start[0]] = tok.string[1:].strip()
    except Exception:
        pass
    return out


def claim_of(comment):
    """(expected text, whether the comment says outright that it is an output)."""
    low = comment.lower()
    for p in PREFIXES:
        if low.startswith(p):
            rest = comment[len(p):].strip()
            if rest:
                return rest, True
    return comment, False


def doctests(src):
    """`>>> expr` lines and the line after each, as (expr, expected)."""
    lines = src.splitlines()
    out = []
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith(">>> ") and i + 1 < len(lines):
            nxt = lines[i + 1].strip()
            if nxt and not nxt.startswith(">>>") and not nxt.startswith("..."):
                out.append((s[4:], nxt))
    return out


def check_block(index, src, ns):
    if UNSTABLE.search(src):
        say(block=index, skipped="unstable")
        return ""
    tests = doctests(src)
    if tests:
        for expr, expected in tests:
            check_expr("doctest", expr, expected, ns, True)
        return ""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        say(block=index, skipped="syntax")
        return ""
    notes = comments(src)
    printed = []
    for node in tree.body:
        end = getattr(node, "end_lineno", node.lineno)
        note = next((notes[n] for n in range(node.lineno, end + 1) if n in notes), None)
        if isinstance(node, ast.Expr):
            code = ast.Expression(node.value)
        else:
            code = ast.Module([node], [])
        out, value, err = run_step(code, ns)
        printed.append(out)
        if err and err not in CONTEXT:
            say(block=index, line=node.lineno, error=err, message=LAST_MESSAGE)
        if note is None or isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import,
                                             ast.ImportFrom, ast.AsyncFunctionDef)):
            continue
        expected, outright = claim_of(note)
        verdict(f"line {node.lineno}", ast.get_source_segment(src, node) or "", expected,
                outright, out, value, err, node)
    return "".join(printed)[:CAP]


def verdict(where, code, expected, outright, out, value, err, node):
    if err in CONTEXT or err == "Timeout" and not outright:
        return
    ok_lit, _ = literal(expected)
    if not (outright or ok_lit):
        return
    if err:
        say(claim=where, code=code[:200], expected=expected[:200], raised=err)
        return
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
            and getattr(node.value.func, "id", "") == "print":
        good = matches_text(out, expected)
        got = out.strip()
    elif isinstance(node, ast.Expr):
        good = matches_value(value, expected) or (out and matches_text(out, expected))
        got = repr(value)
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
            and isinstance(node.targets[0], ast.Name) and ok_lit:
        got_value = NS.get(node.targets[0].id)
        good = matches_value(got_value, expected)
        got = repr(got_value)
    else:
        return
    if not good and not ok_lit:
        good = loose(got if got != repr(None) else out, expected)
        if good is None:
            return
    say(claim=where, code=code[:200], expected=expected[:200], got=got[:200], ok=bool(good))


def check_expr(where, expr, expected, ns, outright):
    try:
        tree = ast.parse(expr.strip().strip("`"), mode="eval")
    except SyntaxError:
        return
    out, value, err = run_step(tree, ns)
    node = ast.Expr(tree.body)
    verdict(where, expr, expected, outright, out, value, err, node)


def check_output(index, expected, printed):
    if printed is None or not printed.strip():
        return
    good = matches_text(printed, expected) or norm(expected) in norm(printed)
    if not good and not literal(expected)[0]:
        good = loose(printed, expected)
        if good is None:
            return
    say(claim=f"output of block {index + 1}", code="", expected=expected[:200],
        got=printed.strip()[:200], ok=bool(good))


# Typical, valid arguments by parameter name, for calling the draft's functions once or
# twice: an off-by-one or a missing base case crashes on ordinary input.
LISTS = {"arr", "array", "nums", "numbers", "lst", "list_", "items", "values", "data", "xs",
         "seq", "sequence", "a", "sorted_list", "sorted_arr", "elements", "l", "li", "ints",
         "scores", "prices", "list1", "list2", "list", "mylist", "my_list", "input_list",
         "arr1", "arr2", "nums1", "nums2", "numbers_list", "num_list"}
STRINGS = {"s", "text", "string", "word", "sentence", "phrase", "st", "txt", "input_string",
           "input_str", "str_", "word1", "word2", "s1", "s2", "name", "msg", "message", "line",
           "title", "my_string", "input_text", "str1", "str2"}
INTS = {"n", "k", "num", "number", "count", "limit", "year", "m", "size", "length", "x", "y",
        "b", "i", "j", "base", "exp", "exponent", "start", "end", "low", "high", "depth",
        "num1", "num2", "lo", "hi", "w", "h", "width", "height", "age", "index", "idx",
        "steps", "times", "digits"}
# Lists of words, a grid and a mapping, for parameters named for them.
WORD_LISTS = {"words", "names", "strings", "strs", "word_list", "lines", "sentences"}
GRIDS = {"matrix", "grid", "board", "mat"}
MAPPINGS = {"d", "dct", "dict_", "mapping", "counts", "scores_by_name", "inventory"}
YEARS = {"year", "yr"}
# Small enough that a correct recursive function (factorial, naive Fibonacci) answers at
# once: ordinary input, not a stress test.
SMALL = [5, 1, 10]
# Inputs for the degenerate check (0 left out: it is the usual special case): a function of
# whole numbers that gives the same falsy value (0, False) for every one of these computes
# nothing (`range(n)` from 0 in a product, `and` where `or` is meant). Larger values close
# the spread so that a threshold (an age of 18, a score of 50) is crossed.
SPREAD = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 20, 30, 70, 150]
YEAR_SPREAD = [1600, 1900, 2000, 2023, 2024, 2100]
TARGETS = {"target", "key", "value", "val", "item", "needle", "elem", "element", "x"}
# Errors that ordinary arguments should never cause in working code.
CRASHES = {"IndexError", "ZeroDivisionError", "RecursionError", "UnboundLocalError", "Timeout"}
# A method the argument's own type does not have (`s.reverse()` on a str, `nums.push(x)` on
# a list), or a str changed in place: an API from another language or a wrong one. Only the
# str and list the guesses pass count, and only for a method of another built-in type or
# another language: a missing `.price` means the guess was wrong, not the code, and so does
# a dict method (the function wanted a dict).
FOREIGN = {"push", "length", "size", "contains", "charAt", "equals", "forEach", "indexOf",
           "includes", "toUpperCase", "toLowerCase", "trim", "substring", "substr", "len",
           "reversed", "sorted", "isEmpty"} | {
    m for t in (str, list, set) for m in dir(t) if not m.startswith("_")} - {
    m for m in dir(dict) if not m.startswith("_")}
MISSING = re.compile(r"^'(str|list)' object has no attribute '(\w+)'")


def wrong_api(err):
    if err == "TypeError":
        # A file object where its text is wanted (`json.loads(f)`): the guesses pass a path
        # as a str, so the file object is the draft's own.
        return LAST_MESSAGE.startswith("'str' object does not support item assignment") \
            or "TextIOWrapper" in LAST_MESSAGE or "BufferedReader" in LAST_MESSAGE
    m = MISSING.match(LAST_MESSAGE) if err == "AttributeError" else None
    return m is not None and m.group(2) in FOREIGN


def crashed(err):
    return err in CRASHES or wrong_api(err)


def arguments(fn):
    """Argument lists to try for `fn`, or [] when a parameter's kind cannot be guessed."""
    import inspect
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.default is inspect.Parameter.empty
                  and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []
    names = [p.name.lower() for p in params]
    if not names or len(names) > 3:
        return []
    has_list = any(n in LISTS for n in names)
    tries = [[], [], []]
    for n in names:
        if has_list and n in TARGETS and n not in LISTS:
            picks = [7, 4, 10]
        elif n in LISTS and (n != "a" or len(names) > 1 and names[1] in TARGETS):
            picks = [[1, 3, 5, 7, 9], [1, 3, 5, 7, 9], [1, 3, 5, 7, 9]]
        elif n in STRINGS:
            picks = ["racecar", "hello world", "abc"]
        elif n in WORD_LISTS:
            picks = [["apple", "Banana", "cherry"], ["a", "bb", "a"], ["hello", "world"]]
        elif n in PATHS and FILES:
            picks = [file_for(fn)] * 3
        elif n in GRIDS:
            picks = [[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2], [3, 4]], [[5]]]
        elif n in MAPPINGS:
            picks = [{"a": 1, "b": 2}, {"x": 3}, {"a": 2, "c": 0}]
        elif n in YEARS:
            picks = [2024, 1900, 2000]
        elif n in INTS or n == "a":
            picks = SMALL
        else:
            return []
        for t, v in zip(tries, picks):
            t.append(v)
    return tries


def smoke(src_names):
    """Calls each function the draft defines with ordinary arguments; reports a crash."""
    import types
    for name, fn in list(NS.items()):
        if name not in src_names or not isinstance(fn, types.FunctionType):
            continue
        if fn.__code__.co_filename != "<draft>":
            continue
        if {"split", "partition", "index", "find", "group", "match"} & set(fn.__code__.co_names):
            continue
        for args in arguments(fn)[:3] or reads_a_prompt_file(fn):
            shown = f"{name}({', '.join(repr(a) for a in args)})"
            _out, _value, err = run_step(ast.parse(shown, mode="eval"), NS)
            if crashed(err) and (args or err != "Timeout"):
                say(smoke=shown, raised=err, message=LAST_MESSAGE)
                return
        if degenerate(name, fn):
            return


# Calls with no effect outside the function: a function that only makes these and never
# returns has computed something and dropped it.
PURE = {"len", "range", "sum", "min", "max", "abs", "int", "float", "str", "bool", "sorted",
        "reversed", "enumerate", "zip", "map", "filter", "list", "dict", "set", "tuple",
        "round", "pow", "divmod", "isinstance", "ord", "chr", "any", "all"}
PURE_METHODS = {"upper", "lower", "strip", "lstrip", "rstrip", "split", "join", "replace",
                "count", "find", "startswith", "endswith", "isdigit", "isalpha", "isalnum",
                "keys", "values", "items", "get", "copy", "format", "title", "capitalize"}
STUBS = (ast.Pass, ast.Expr)


def discarded(src):
    """The top-level functions of `src` that compute a value (assign a local) with nothing
    but pure calls, and neither return, yield, raise, print nor change anything outside:
    the result is lost (a `return` left out)."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    found = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("test") \
                or fn.name in ("main", "run", "setup", "__init__"):
            continue
        if all(isinstance(n, STUBS) for n in fn.body):
            continue
        if drops_its_result(fn):
            found.append(fn.name)
    return found


def first_pass_only(src):
    """The functions of `src` with a loop that cannot reach its second pass: its body ends in
    an `if` whose branches both return, break or raise, and nothing in it says `continue`
    (SonarSource S1751; the classic is a prime test that answers after one divisor)."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for loop in ast.walk(fn):
            if isinstance(loop, (ast.For, ast.While)) and exits_at_once(loop):
                found.append(fn.name)
                break
    return found


def exits_at_once(loop):
    """The loop's body ends by leaving it, unconditionally or on both branches of an `if`,
    and nothing in it says `continue`."""
    leaves = (ast.Return, ast.Break, ast.Raise)
    last = loop.body[-1] if loop.body else None
    if isinstance(last, ast.If) and last.orelse:
        ends = isinstance(last.body[-1], leaves) and isinstance(last.orelse[-1], leaves)
    else:
        ends = isinstance(last, leaves) and len(loop.body) > 1
    if not ends or isinstance(loop, ast.While) and not isinstance(last, ast.If):
        return False
    return not any(isinstance(n, ast.Continue) for b in loop.body for n in ast.walk(b))


def drops_its_result(fn):
    # `lst += [x]` on a parameter changes the caller's list.
    params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
    assigns = False
    todo = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
                             ast.Yield, ast.YieldFrom, ast.Await, ast.Raise, ast.Global,
                             ast.Nonlocal, ast.Delete, ast.With, ast.Try, ast.Assert)):
            return False
        if isinstance(node, ast.Return) and node.value is not None \
                and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            return False
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if not all(isinstance(t, (ast.Name, ast.Tuple)) for t in targets):
                return False
            if isinstance(node, ast.AugAssign) and getattr(node.target, "id", "") in params:
                return False
            assigns = True
        if isinstance(node, ast.Call):
            f = node.func
            pure = isinstance(f, ast.Name) and f.id in PURE or isinstance(f, ast.Attribute) \
                and f.attr in PURE_METHODS and isinstance(f.value, (ast.Name, ast.Constant))
            if not pure:
                return False
        todo.extend(ast.iter_child_nodes(node))
    return assigns


def whole_number_params(fn):
    """The parameter names of `fn` when it takes one or two whole numbers, else None."""
    import inspect
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    names = [p.name.lower() for p in params]
    if not 1 <= len(names) <= 2 or any(p.default is not inspect.Parameter.empty for p in params):
        return None
    return names if all(n in INTS or n in YEARS for n in names) else None


def degenerate(name, fn):
    """Whether `fn`, a function of whole numbers, gives one falsy value for every input of a
    wide spread: it computes nothing. Reported as a smoke finding; True when reported."""
    names = whole_number_params(fn)
    if names is None:
        return False
    spread = YEAR_SPREAD if names[0] in YEARS else SPREAD
    calls = [[v] if len(names) == 1 else [v, spread[(i + 3) % len(spread)]]
             for i, v in enumerate(spread)]
    first = None
    for args in calls:
        shown = f"{name}({', '.join(repr(a) for a in args)})"
        _out, value, err = run_step(ast.parse(shown, mode="eval"), NS)
        # A second value, an error or a truthy one ends it: the function computes something
        # (and a slow one is not run on the larger inputs).
        if err or type(value) not in (bool, int, float) or value or \
                first is not None and value != first:
            return False
        first = value
    say(smoke=f"{name}(n) for n in {spread[0]}..{spread[-1]}", raised="Constant",
        got=repr(first))
    return True



# --- What the prompt asks, tested (confidence::claims::spec reads the properties) ---------

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
    """`fn(*args)` with output captured and a time limit: (value, error name). A generator
    or iterator result is read into a list."""
    import types
    global LAST_MESSAGE
    signal.alarm(STEP_SECS)
    try:
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            value = fn(*args)
            if isinstance(value, (types.GeneratorType, map, filter, zip, reversed)) \
                    or type(value).__name__ in ("dict_keys", "dict_values", "list_iterator"):
                value = list(value)[:1000]
            return value, None
    except Slow:
        return None, "Timeout"
    except BaseException as e:
        LAST_MESSAGE = str(e)[:120]
        return None, type(e).__name__
    finally:
        signal.alarm(0)


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


def fail(name, args, got, expected):
    """Reports a broken property; False, for the check to return."""
    say(claim="the request", code=f"{name}({', '.join(shown_arg(a) for a in args)})"[:200],
        expected=str(expected)[:200], got=shown_arg(got)[:200], ok=False)
    return False


def pass_(name):
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
    fns = [(n, f) for n, f in NS.items() if n in src_names and isinstance(f, types.FunctionType)
           and f.__code__.co_filename == "<draft>"]
    for spec in specs:
        check = CHECKS.get(spec.get("kind"))
        if check is None:
            continue
        fits = []
        for n, f in fns:
            rs = roles(f)
            if rs:
                fits.append((n, f, rs))
        chosen = pick(fits, words)
        if chosen is None:
            continue
        n, f, rs = chosen
        params = list(inspect.signature(f).parameters)[:len(rs)]
        result = check(spec, n, f, rs, params)
        if result is True:
            pass_(n)
        elif result is False:
            return



# --- A rewrite that must keep the behaviour of the prompt's code (refactor, simplify) -------

NUMBERS = {"total", "price", "amount", "cost", "balance", "subtotal", "rate", "score", "avg",
           "average", "value", "val", "temperature", "temp", "distance", "weight"}
BUILTIN_NAMES = set(dir(__builtins__)) if not isinstance(__builtins__, dict) \
    else set(__builtins__)


def guess_for(name):
    """An ordinary value for a free variable of a snippet, by its name; None when unknown."""
    n = name.lower()
    if n in LISTS:
        return [4, 1, 7, 10, 3, 12]
    if n in WORD_LISTS:
        return ["apple", "", "Banana", "kiwi"]
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


NS = {"__name__": "__main__", "__builtins__": __builtins__}


def main():
    global FILES
    payload = json.loads(sys.argv[1])
    FILES = write_files()
    write_prompt_files(payload.get("files") or [])
    signal.signal(signal.SIGALRM, alarm)
    sys.setrecursionlimit(2000)
    sys.stdin = io.StringIO("")
    printed = {}
    for i, src in enumerate(payload.get("blocks", [])):
        printed[i] = check_block(i, src, NS)
    for c in payload.get("calls", []):
        check_expr(c["from"], c["expr"], c["expected"], NS, True)
    for o in payload.get("outputs", []):
        check_output(o["block"], o["expected"], printed.get(o["block"]))
    q = payload.get("question")
    if q:
        check_question(q["code"], q["claims"])
    blocks = payload.get("blocks", [])
    lost = [n for src in blocks for n in discarded(src)]
    once = [n for src in blocks for n in first_pass_only(src)]
    if lost:
        say(smoke=lost[0], raised="Discarded")
    elif once:
        say(smoke=once[0], raised="FirstPass")
    else:
        smoke(set(payload.get("defined", [])))
    if payload.get("original"):
        check_rewrite(payload["original"], blocks)
    specs = payload.get("spec") or []
    if specs:
        check_spec(specs, set(payload.get("words") or []), set(payload.get("defined", [])))
    say(done=True)


def check_question(code, claims):
    """The prompt asks what its code prints or gives, and the answer says: run the code in a
    namespace of its own, and see whether what the answer says is what it does."""
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return
    out, value, err = run_step(tree, ns)
    if err:
        actual = err
        hit = any(err.lower() in c.lower() or "error" in c.lower() for c in claims)
    elif isinstance(tree, ast.Expression) and value is not None:
        actual = repr(value)
        hit = any(matches_value(value, c) or (out and matches_text(out, c)) for c in claims)
    elif out.strip():
        actual = out.strip()
        hit = any(matches_text(out, c) for c in claims)
    else:
        return
    if not any(literal(c)[0] for c in claims) and not hit:
        return
    say(claim="the prompt's code", code=code[:200], expected=claims[0][:200], got=actual[:200],
        ok=bool(hit))


main()
