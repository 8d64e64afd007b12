# Checks the claims a draft makes about its own Python code (confidence::claims). It runs
# inside the sandbox, in an empty scratch directory, as `python3 -I -c <this> <payload>`.
# The payload (JSON) holds the draft's Python blocks and the claims read from its prose and
# from the prompt; the comment claims in the code ("print(f(5))  # 15") and doctests are
# read here, where the tokenizer tells comments from strings. One JSON line per verdict
# goes to stdout; everything the draft's code prints is captured, never passed through.
# driver_spec.py (the prompt's properties) and driver_rewrite.py (a rewrite beside the
# prompt's code) follow this file in the program, and `main()` is called last.
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
    if not good and opaque(got):
        return
    if not good and not ok_lit:
        good = loose(got if got != repr(None) else out, expected)
        if good is None:
            return
    say(claim=where, code=code[:200], expected=expected[:200], got=got[:200], ok=bool(good))


def opaque(shown):
    """Whether a value is shown as an object without a repr of its own (`<Point object at
    0x…>`): it says nothing a comment or an answer could be held to."""
    return re.fullmatch(r"<[^<>]* at 0x[0-9a-fA-F]+>", shown.strip()) is not None


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
    if payload.get("pattern"):
        check_pattern(payload["pattern"])
    if payload.get("prints"):
        check_prints(payload["prints"], list(printed.values()))
    q = payload.get("question")
    if q:
        check_question(q["code"], q["claims"], q.get("said") or "")
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
        words, defined = set(payload.get("words") or []), set(payload.get("defined", []))
        check_spec(specs, words, defined)
        check_known(specs, words, defined)
    say(done=True)


def pattern_source(cand):
    """(pattern, flags) of a candidate as the answer wrote it: a JavaScript `/…/i`, a
    Python string literal, or the bare pattern; None when it cannot be read."""
    m = re.fullmatch(r"/(.+)/([a-z]*)", cand)
    if m:
        return m.group(1), re.I if "i" in m.group(2) else 0
    if re.match(r"[rRbBuU]{0,2}['\"]", cand):
        try:
            value = ast.literal_eval(cand)
        except Exception:
            return None, 0
        return (value if isinstance(value, str) else None), 0
    return cand.strip("`"), 0


def check_pattern(p):
    """The request names a textbook pattern: each of the answer's candidates is tried on
    strings it must match whole and strings it must not. One that holds is enough; else the
    first candidate that compiles is reported with the string it gets wrong."""
    wrong = None
    for cand in p["candidates"]:
        src, flags = pattern_source(cand)
        if src is None:
            continue
        signal.alarm(STEP_SECS)
        try:
            rx = re.compile(src, flags)
            miss = next((s for s in p["matches"] if not rx.fullmatch(s)), None)
            extra = next((s for s in p["rejects"] if rx.fullmatch(s)), None)
        except (re.error, Slow, RecursionError, OverflowError):
            continue
        finally:
            signal.alarm(0)
        if miss is None and extra is None:
            say(claim="the pattern", code=cand[:200], expected="", got="", ok=True)
            return
        if wrong is None:
            got = f"does not match {miss!r}" if miss is not None else f"matches {extra!r}"
            wrong = (cand, got)
    if wrong:
        say(claim="the pattern", code=wrong[0][:200], expected=f"a pattern for {p['name']}",
            got=wrong[1], ok=False)


def check_prints(run, outs):
    """The request asks for a run of whole numbers printed: what each block printed, when
    it printed numbers and nothing else, is compared with it (each block is an answer of
    its own: two ways to do it must both be right)."""
    a, b = run
    want = list(range(a, b + 1)) if a <= b else list(range(a, b - 1, -1))
    for out in outs:
        if not out.strip() or re.sub(r"[-\d\s,\[\]]", "", out):
            continue
        got = [int(t) for t in re.findall(r"-?\d+", out)][:2000]
        shown = " ".join(map(str, got)) if len(got) <= 6 else \
            " ".join(map(str, got[:3])) + " … " + " ".join(map(str, got[-2:]))
        say(claim="the printed numbers", code="", expected=f"{a} to {b}", got=shown,
            ok=got == want)
        if got != want:
            return


def check_question(code, claims, said=""):
    """The prompt asks what its code prints or gives, and the answer says: run the code in a
    namespace of its own, and see whether what the answer says is what it does. The value
    standing alone in the answer's prose ("…, which is 2 + 12 = 14") also counts as said."""
    if UNSTABLE.search(code):
        return
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return
    out, value, err = run_question(tree, ns)
    if err:
        actual = err
        named = [c for c in claims + [said] if err.lower() in c.lower()]
        if err in CONTEXT and not named:
            return
        hit = bool(named) or any("error" in c.lower() for c in claims)
    elif value is not None:
        actual = repr(value)
        hit = any(matches_value(value, c) or (out and matches_text(out, c)) for c in claims)
        hit = hit or standalone(actual, said) or standalone(str(value), said)
    elif out.strip():
        actual = out.strip()
        hit = any(matches_text(out, c) for c in claims) or standalone(actual, said)
    else:
        return
    if not hit and opaque(actual):
        return
    stated = [c for c in claims if literal(c)[0] or c.startswith("`")]
    if not stated and not hit:
        return
    say(claim="the prompt's code", code=code[:200], expected=(stated or claims)[0].strip("`")[:200],
        got=actual[:200], ok=bool(hit))


def run_question(tree, ns):
    """Runs a question's code: an expression for its value, or statements for what they
    print, with the value of a last bare expression (`f(3)` after the `def f`)."""
    if isinstance(tree, ast.Expression):
        return run_step(tree, ns)
    body = tree.body
    last = body[-1] if body else None
    printing = isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) \
        and getattr(last.value.func, "id", "") == "print"
    if not isinstance(last, ast.Expr) or printing:
        return run_step(tree, ns)
    out, _, err = run_step(ast.Module(body[:-1], []), ns)
    if err:
        return out, None, err
    more, value, err = run_step(ast.Expression(last.value), ns)
    return out + more, value, err


def standalone(value, said):
    """Whether a one-line value appears in `said` as a whole item, not inside a list, a
    number or a word."""
    value = value.strip()
    if not value or "\n" in value or len(value) > 60 or not said:
        return False
    pattern = r"(?<![\w\[(,.\-+*/'\"])" + re.escape(value) + r"(?![\w\]),+*/'\"]|\.\d)"
    return re.search(pattern, said) is not None
