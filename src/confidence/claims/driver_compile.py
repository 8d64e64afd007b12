# Compiles a draft's Rust, C, C++, Java, Go and TypeScript blocks, and tries its short shell commands, in the sandbox (confidence::claims::compile) and
# prints one JSON verdict for the first block that does not build, then {"done": true}. Run
# as `python3 -I -c <this> <payload> [rust sysroot]` in an empty scratch directory.
import json
import os
import re
import shutil
import subprocess
import sys
import time

SECS = 4
# Seconds after which no further block is started.
BUDGET = 2.5
# Errors that say the fragment needs surroundings it was not given, not that it is wrong.
RUST_CONTEXT = {"E0405", "E0407", "E0404", "E0411", "E0412", "E0422", "E0423", "E0424",
                "E0425", "E0426", "E0432", "E0433", "E0434", "E0437", "E0438", "E0463",
                "E0531", "E0532", "E0554", "E0574", "E0576", "E0583", "E0601", "E0658",
                "E0670"}
C_CONTEXT = ("undeclared", "not declared", "unknown type name", "implicit declaration",
             "does not name a type", "has not been declared", "storage size",
             "incomplete type", "undefined type", "is not a member of", "not a namespace",
             "no such file")
C_HEADERS = ["stdio.h", "stdlib.h", "string.h", "stdbool.h", "stdint.h", "ctype.h", "math.h",
             "limits.h", "stddef.h"]
CPP_HEADERS = ["iostream", "vector", "string", "map", "unordered_map", "set", "algorithm",
               "memory", "cmath", "cstdint", "utility", "sstream", "stdexcept", "functional"]
WRAP = {"rust": ("fn __f() {\n", "\n}"), "c": ("void __f(void) {\n", "\n}"),
        "cpp": ("void __f() {\n", "\n}")}
GCC_LINE = re.compile(r"^[^:\n]*:(?P<line>\d+):(?:\d+:)? (?:fatal )?error: (?P<msg>.*)$")
GO_LINE = re.compile(r"^[^:\n]*\.go:(?P<line>\d+):(?:\d+:)? (?P<msg>.*)$")
GO_CONTEXT = ("undefined:", "could not import", "imported and not used", "declared but not used",
              "declared and not used", "can't find import", "cannot find package", "not in std",
              "missing function body", "main redeclared")
# The standard packages an answer's fragment most often uses without its import line.
GO_PACKAGES = ("fmt", "strings", "strconv", "os", "errors", "sort", "time", "math", "bytes",
               "io", "bufio", "sync", "regexp", "unicode", "json", "http", "filepath")
GO_PATHS = {"json": "encoding/json", "http": "net/http", "filepath": "path/filepath"}
TSC_LINE = re.compile(r"^[^(\n]*\.ts\((?P<line>\d+),\d+\): error (?P<code>TS\d+): (?P<msg>.*)$")
# Names, modules and settings of a project the fragment is not in.
TS_CONTEXT = {"TS2304", "TS2307", "TS2552", "TS2580", "TS2582", "TS2593", "TS2503", "TS2694",
              "TS2792", "TS1375", "TS1378", "TS1208", "TS2686", "TS17004", "TS7016", "TS2451",
              "TS2300", "TS2395", "TS2440", "TS2305", "TS2614", "TS2724", "TS18028"}
JAVAC_LINE = re.compile(r"^[^:\n]*\.java:(?P<line>\d+): error: (?P<msg>.*)$")
# The JVM within the sandbox's 1 GiB of address space (measured: javac starts and compiles
# a class in about 0.8 s with these).
JVM_FLAGS = ["-J-Xmx160m", "-J-XX:ReservedCodeCacheSize=32m",
             "-J-XX:CompressedClassSpaceSize=64m", "-J-XX:+UseSerialGC",
             "-J-XX:TieredStopAtLevel=1", "-J-Xshare:auto"]
JAVA_IMPORTS = ("import java.util.*; import java.util.function.*; import java.util.stream.*; "
                "import java.io.*; import java.nio.file.*;\n")
JAVA_SYNTAX = ("expected", "illegal start", "not a statement", "reached end of file",
               "unclosed", "class, interface", "orphaned", "without if", "illegal character")
JAVA_CONTEXT = ("cannot find symbol", "does not exist", "should be declared in a file",
                "cannot access", "duplicate class", "not visible")
JAVA_TYPE = re.compile(r"^(?:public\s+|final\s+|abstract\s+|sealed\s+)*"
                       r"(?:class|interface|enum|record)\s+(\w+)", re.M)
JAVA_METHOD = re.compile(r"^\s*(?:public|private|protected|static)[\w\s<>\[\],?]*\(", re.M)


def say(**kw):
    print(json.dumps(kw), flush=True)


def rustc_path(sysroot):
    if sysroot:
        p = os.path.join(sysroot, "bin", "rustc")
        if os.access(p, os.X_OK):
            return p
    return shutil.which("rustc")


def run(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=SECS,
                           stdin=subprocess.DEVNULL)
        # Compilers report on stderr, except `go tool compile`, which uses stdout.
        return r.stderr + "\n" + r.stdout
    except (OSError, subprocess.SubprocessError):
        return None


def rust_errors(rustc, src):
    """(syntax?, code, message, line) of each error rustc reports for `src`."""
    with open("unit.rs", "w") as f:
        f.write(src)
    out = run([rustc, "--edition", "2021", "--crate-type", "lib", "--emit", "metadata",
               "-A", "warnings", "--error-format", "json", "-o", "unit.rmeta", "unit.rs"])
    if out is None:
        return None
    errors = []
    for line in out.splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if not isinstance(d, dict) or d.get("level") != "error":
            continue
        code = (d.get("code") or {}).get("code")
        msg = str(d.get("message", ""))
        if msg.startswith("aborting due to"):
            continue
        spans = [s for s in d.get("spans") or [] if s.get("is_primary")]
        at = spans[0].get("line_start", 0) if spans else 0
        rendered = str(d.get("rendered", ""))
        context = code in RUST_CONTEXT or "not in scope" in rendered \
            or "can't find crate" in msg or "unresolved" in msg
        errors.append((code is None, "context" if context else code, msg, at))
    return errors


def line_errors(out, pattern, classify, shift=0):
    """(syntax?, code or "context", message, line) of each error line of a compiler's
    output that `pattern` (groups `line` and `msg`) matches; `classify(msg, lower, match)`
    gives (syntax?, context?, code). Lines are counted from the fragment's first, `shift`
    wrapper lines before it."""
    errors = []
    for line in out.splitlines():
        m = pattern.match(line)
        if m:
            msg = m.group("msg")
            syntax, context, code = classify(msg, msg.lower(), m)
            errors.append((syntax, "context" if context else code, msg,
                           max(0, int(m.group("line")) - shift)))
    return errors


def missing_header(lang, src, at):
    """Whether line `at` of `src` includes a C header by a name no C header has (`<stdint>`
    for `<stdint.h>`): the code's own mistake, where a library not installed here is not."""
    lines = src.splitlines()
    m = re.match(r"\s*#\s*include\s*<([^>/]+)>", lines[at - 1]) if 0 < at <= len(lines) else None
    return lang == "c" and m is not None and not m.group(1).endswith(".h")


def gcc_errors(lang, src):
    name = "unit.c" if lang == "c" else "unit.cpp"
    with open(name, "w") as f:
        f.write(src)
    cc = shutil.which("gcc" if lang == "c" else "g++")
    if cc is None:
        return None
    headers = C_HEADERS if lang == "c" else CPP_HEADERS
    std = "-std=gnu11" if lang == "c" else "-std=gnu++17"
    argv = [cc, std, "-fsyntax-only", "-w", "-fmax-errors=20"]
    for h in headers:
        argv += ["-include", h]
    out = run(argv + [name])
    if out is None:
        return None
    def classify(_msg, low, m):
        syntax = low.startswith("expected") or "before" in low and "expected" in low \
            or "stray" in low or "unterminated" in low or "missing terminating" in low
        context = any(c in low for c in C_CONTEXT) \
            and not missing_header(lang, src, int(m.group("line")))
        return syntax, context, "error"
    return line_errors(out, GCC_LINE, classify)


def java_errors(code):
    """Errors javac reports for `code`, made whole by the one reading its shape calls for: a
    type as written, methods inside a class, statements inside a method of one. The common
    java.util and java.io packages are imported first, as an IDE would."""
    javac = shutil.which("javac")
    if javac is None:
        return None
    named = JAVA_TYPE.search(code)
    if named:
        pre, post, name = "", "", named.group(1)
    elif JAVA_METHOD.search(code):
        pre, post, name = "class Unit {\n", "\n}", "Unit"
    else:
        pre, post, name = "class Unit { void run() throws Exception {\n", "\n}}", "Unit"
    imports = "" if re.search(r"^\s*package\s", code, re.M) else JAVA_IMPORTS
    shift = imports.count("\n") + pre.count("\n")
    os.makedirs("classes", exist_ok=True)
    with open(f"{name}.java", "w") as f:
        f.write(imports + pre + code + post)
    out = run([javac, *JVM_FLAGS, "-proc:none", "-implicit:none", "-nowarn", "-Xlint:none",
               "-encoding", "UTF-8", "-Xmaxerrs", "20", "-d", "classes", f"{name}.java"])
    if out is None:
        return None
    return line_errors(out, JAVAC_LINE, lambda _msg, low, _m: (
        any(w in low for w in JAVA_SYNTAX), any(w in low for w in JAVA_CONTEXT), "error"),
        shift)


# What a program says when it does not take an option or an operand it was given.
REFUSED = re.compile(r"(invalid option|unrecognized option|illegal option|unknown option|unknown switch|"
                     r"option requires an argument|missing operand|invalid number of)", re.I)


def shell_refusal(code):
    """The first line in which a program of the commands refuses an option it was given, or
    None. The commands run in the scratch directory, as the draft's examples do; what fails
    for want of a file or a network is not the command's fault and is not read."""
    bash = shutil.which("bash")
    if bash is None:
        return None
    out = run([bash, "--norc", "--noprofile", "-c", code])
    if out is None:
        return None
    for line in out.splitlines():
        if REFUSED.search(line) and "usage" not in line.lower()[:6]:
            return re.sub(r"^(/\S+/)?bash: (line \d+: )?", "", line.strip())[:160]
    return None


def refused_in(code, refused):
    """The command line the refusal most likely came from: the first that names the program
    that refused, else the first that is not a comment."""
    program = refused.split(":", 1)[0].strip()
    lines = [l.strip() for l in code.splitlines() if l.strip() and not l.strip().startswith("#")]
    named = [l for l in lines if re.search(rf"(^|[\s|;&(]){re.escape(program)}\b", l)]
    return (named or lines or [""])[0]


def go_source(code, wrapped):
    """`code` as a Go file: a package clause when it has none, the standard imports it uses
    when it imports nothing, and inside a function when `wrapped`. Also the number of lines
    added before it."""
    head = ""
    if not re.search(r"^\s*package\s+\w+", code, re.M):
        head = "package main\n"
        if not re.search(r"^\s*import\b", code, re.M):
            used = [p for p in GO_PACKAGES if re.search(rf"\b{p}\.[A-Z]", code)]
            if used:
                head += "import (" + "; ".join(f'"{GO_PATHS.get(p, p)}"' for p in used) + ")\n"
    elif wrapped:
        return None, 0
    pre, post = ("func __f() {\n", "\n}") if wrapped else ("", "")
    return head + pre + code + post, (head + pre).count("\n")


def go_errors(code, wrapped):
    go = shutil.which("go")
    src, shift = go_source(code, wrapped)
    if go is None or src is None:
        return None
    with open("unit.go", "w") as f:
        f.write(src)
    out = run([go, "tool", "compile", "-e", "-o", "unit.o", "unit.go"])
    if out is None:
        return None
    def classify(msg, low, _m):
        syntax = low.startswith("syntax error") or "non-declaration statement" in low
        # A name the standard package does not have (`fmt.Severity`) is the code's own.
        std_member = re.match(rf"undefined: ({'|'.join(GO_PACKAGES)})\.\w+", msg)
        return syntax, any(w in low for w in GO_CONTEXT) and not std_member, "error"
    return line_errors(out, GO_LINE, classify, shift)


def ts_errors(code, wrapped):
    """Errors tsc reports for `code` as a module of its own (so its names do not collide
    with the DOM's globals), or inside a class when `wrapped` (methods pasted alone)."""
    tsc, node = shutil.which("tsc"), shutil.which("node")
    if tsc is None or node is None:
        return None
    pre, post = ("class __C {\n", "\n}") if wrapped else ("", "")
    with open("unit.ts", "w") as f:
        f.write(pre + code + post + "\nexport {};\n")
    # Without the JIT, node compiles within the sandbox's 1 GiB of address space (with it,
    # V8's reservations abort it), and a check this short finishes sooner: 1.2 s against
    # 2.0 s, measured.
    out = run([node, "--jitless", os.path.realpath(tsc), "--noEmit", "--pretty", "false", "--target", "es2020", "--lib",
               "es2020,dom", "--skipLibCheck", "unit.ts"])
    if out is None:
        return None
    def classify(_msg, _low, m):
        code_ = m.group("code")
        syntax = code_.startswith("TS1") and len(code_) == 6 and code_ not in TS_CONTEXT
        return syntax, code_ in TS_CONTEXT, code_
    return line_errors(out, TSC_LINE, classify, pre.count("\n"))


def errors_of(unit, rustc, wrapped):
    lang, code = unit["lang"], unit["code"]
    if lang == "go":
        return go_errors(code, wrapped)
    if lang == "ts":
        return ts_errors(code, wrapped)
    pre, post = WRAP[lang] if wrapped else ("", "")
    src = pre + code + post
    errs = rust_errors(rustc, src) if lang == "rust" else gcc_errors(lang, src)
    if errs is None:
        return None
    shift = pre.count("\n")
    return [(s, c, m, max(0, at - shift)) for s, c, m, at in errs]


def judge(unit, rustc):
    """The first error of the block's code itself, or None when it builds or cannot be
    judged (syntax errors under every reading, or errors of missing surroundings)."""
    if unit["lang"] == "rust" and rustc is None:
        return None
    if unit["lang"] == "java":
        errs = java_errors(unit["code"])
        if not errs or any(s or c == "context" for s, c, _m, _at in errs):
            return None
        return errs[0]
    for wrapped in (False, True):
        errs = errors_of(unit, rustc, wrapped)
        if errs is None:
            return None
        if any(s for s, _c, _m, _at in errs):
            continue
        if any(c == "context" for _s, c, _m, _at in errs):
            return None
        return errs[0] if errs else None
    return None


NAMES = {"rust": "Rust", "c": "C", "cpp": "C++", "java": "Java", "go": "Go",
         "ts": "TypeScript"}


def main():
    payload = json.loads(sys.argv[1])
    rustc = rustc_path(sys.argv[2] if len(sys.argv) > 2 else None)
    start = time.monotonic()
    for unit in payload.get("units", [])[:4]:
        # The whole run has 5 s; a unit started late would be cut off and its verdict lost.
        if time.monotonic() - start > BUDGET:
            break
        if unit["lang"] == "shell":
            refused = shell_refusal(unit["code"])
            if refused:
                say(claim="the shell", code=refused_in(unit["code"], refused)[:80],
                    expected="", got=refused, ok=False)
                break
            continue
        found = judge(unit, rustc)
        if found:
            _s, code, msg, at = found
            label = f"error[{code}]: {msg}" if code and code != "error" else msg
            say(claim="the compiler", code=NAMES.get(unit["lang"], unit["lang"]),
                expected="", got=label[:160], line=at, ok=False)
            break
    say(done=True)


main()
