//! The rules: which families of code each applies to, the pieces of a line it needs (found
//! for all rules in one pass), and the check itself. Each names the public catalogue it comes
//! from.

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Family {
    Python,
    Js,
    C,
    Go,
    Java,
    Shell,
    Other,
}

pub(super) fn family(tag: &str) -> Family {
    match tag {
        "python" | "python3" | "py" | "pycon" => Family::Python,
        "javascript" | "js" | "jsx" | "ts" | "typescript" | "tsx" | "node" | "mjs" => Family::Js,
        "c" | "h" | "cpp" | "c++" | "cc" | "cxx" => Family::C,
        "go" | "golang" => Family::Go,
        "java" | "kotlin" => Family::Java,
        "sh" | "bash" | "shell" | "zsh" | "console" => Family::Shell,
        _ => Family::Other,
    }
}

/// What a rule sees: one line of code without spaces, the whole block without spaces, and
/// the prompt in lower case.
pub(super) struct Seen<'a> {
    /// The line as written, for rules that need word boundaries.
    pub(super) raw: &'a str,
    pub(super) line: &'a str,
    /// `line` with the contents of its string literals removed (the quotes kept).
    pub(super) bare: &'a str,
    pub(super) block: &'a str,
    pub(super) prompt: &'a str,
}

pub(super) struct Rule {
    pub(super) families: &'static [Family],
    pub(super) what: &'static str,
    /// Pieces of the line without spaces, one of which the rule needs (in any case): found
    /// for all rules in one pass over a block, so a line is only checked by the rules whose
    /// pieces it holds.
    pub(super) keys: &'static [&'static str],
    pub(super) hit: fn(&Seen) -> bool,
}

const PY: &[Family] = &[Family::Python];
const JS: &[Family] = &[Family::Js];
const C_LIKE: &[Family] = &[Family::C, Family::Js, Family::Java];
const ANY: &[Family] = &[
    Family::Python,
    Family::Js,
    Family::C,
    Family::Go,
    Family::Java,
    Family::Shell,
    Family::Other,
];

fn has_any(s: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| s.contains(n))
}

/// A shell line whose test bracket touches its contents: a word after `if`, `while`,
/// `until`, `&&` or `||` that starts with `[` but is not `[` or `[[`, or, on a line with a
/// test, a word that ends with `]` but is not `]` or `]]`.
fn cramped_test(raw: &str) -> bool {
    const OPENERS: [&str; 7] = ["if", "elif", "while", "until", "&&", "||", "!"];
    let words: Vec<&str> = raw.split_whitespace().collect();
    let mut test = false;
    for pair in words.windows(2) {
        let (before, word) = (pair[0], pair[1]);
        if !OPENERS.contains(&before) || !word.starts_with('[') {
            continue;
        }
        if word != "[" && word != "[[" {
            return true;
        }
        test = true;
    }
    test && words.iter().any(|w| {
        let w = w.trim_end_matches(';');
        w.ends_with(']') && w != "]" && w != "]]" && !w.contains("[")
    })
}

/// `scanf("%d", x)`: a format of number conversions only (no `%s`, `%c` or `%[`, whose
/// arguments are arrays and need no `&`) with an argument that is a bare name. Read from the
/// line without spaces, where the format's contents are kept.
fn scanf_without_address(line: &str) -> bool {
    let Some(start) = line.find("scanf(\"") else {
        return false;
    };
    let call = &line[start + "scanf(\"".len()..];
    let Some((format, rest)) = call.split_once('"') else {
        return false;
    };
    if !format.contains('%') || ["%s", "%c", "%["].iter().any(|c| format.contains(c)) {
        return false;
    }
    let args = rest.rsplit_once(')').map_or(rest, |(a, _)| a);
    args.split(',')
        .skip(1)
        .any(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// `for (int i = 0; i <= a.length; …)` or Go's `for i := 0; i <= len(xs); …`: a counting loop
/// from 0 whose condition reaches the length itself. `<= n - 1` and loops from 1 are fine.
fn one_past_the_end(line: &str) -> bool {
    let Some(at) = line.find("for(").or_else(|| line.find("for")) else {
        return false;
    };
    let head = &line[at..];
    let from_zero = head.contains("=0;");
    let Some(cond) = head.split(';').nth(1) else {
        return false;
    };
    let Some((_, bound)) = cond.split_once("<=") else {
        return false;
    };
    const LENGTHS: [&str; 5] = [".length", ".size()", "len(", "strlen(", ".count"];
    from_zero && LENGTHS.iter().any(|l| bound.contains(l)) && !bound.contains('-')
}

fn about_secrets(s: &Seen) -> bool {
    let line = s.line.to_ascii_lowercase();
    has_any(
        &line,
        &[
            "password", "passwd", "token", "secret", "apikey", "api_key", "salt",
        ],
    ) || has_any(
        s.prompt,
        &["password", "token", "secret", "api key", "session id"],
    )
}

const MUTABLE_DEFAULTS: &[&str] = &["=[]", "={}", "=set()", "=list()", "=dict()"];
/// Methods that change a list in place and return None (not `append`, `extend` or
/// `insert`: other libraries' methods of those names return values).
const IN_PLACE: &[&str] = &[".sort(", ".reverse()", "random.shuffle(", "inplace=True"];
const CALLED_DEFAULTS: &[&str] = &[
    "=datetime.now()",
    "=datetime.utcnow()",
    "=time.time()",
    "=date.today()",
    "=datetime.datetime.now()",
    "=uuid.uuid4()",
    "=uuid4()",
];
const WEAK_RANDOM: &[&str] = &[
    "random.random(",
    "random.randint(",
    "random.choice(",
    "Math.random()",
    "rand()",
    "math/rand",
];
const TLS_OFF: &[&str] = &[
    "verify=False",
    "rejectUnauthorized:false",
    "NODE_TLS_REJECT_UNAUTHORIZED",
    "CERT_NONE",
    "check_hostname=False",
    "InsecureSkipVerify:true",
    "curl-k",
    "--insecure",
    "_create_unverified_context",
];
const LS_LOOP: &[&str] = &["in$(ls", "in`ls"];
const RM_UNQUOTED: &[&str] = &["rm-rf$", "rm-fr$"];
const WORLD_WRITABLE: &[&str] = &["chmod777", "chmod-R777", "0o777", "chmod(0777", ",0777)"];
const NAN: &[&str] = &[
    "==NaN",
    "===NaN",
    "!=NaN",
    "!==NaN",
    "==float('nan')",
    "==float(\"nan\")",
    "==math.nan",
];

pub(super) const RULES: &[Rule] = &[
    // flake8-bugbear B006: a mutable default is shared by every call.
    Rule {
        families: PY,
        what: "a mutable default argument, shared between calls",
        keys: MUTABLE_DEFAULTS,
        hit: |s| s.line.starts_with("def") && has_any(s.line, MUTABLE_DEFAULTS),
    },
    // flake8-bugbear B008: a call in a default runs once, when the function is defined.
    Rule {
        families: PY,
        what: "a default computed once, when the function is defined",
        keys: CALLED_DEFAULTS,
        hit: |s| s.line.starts_with("def") && has_any(s.line, CALLED_DEFAULTS),
    },
    // pylint E1111 (assignment-from-no-return): these methods change the object and return
    // None, so assigning or returning their result hands on None (pandas' `inplace=True`
    // too).
    Rule {
        families: PY,
        what: "assigns or returns the None that an in-place method returns",
        keys: IN_PLACE,
        hit: |s| {
            let right = match s.line.strip_prefix("return") {
                Some(r) => r,
                None => match s.line.split_once('=') {
                    Some((left, right))
                        if !left.is_empty()
                            && !left.ends_with(['!', '<', '>', '=', '+', '-', '*', '/'])
                            && !right.starts_with('=') =>
                    {
                        right
                    }
                    _ => return false,
                },
            };
            !right.starts_with("sorted(")
                && !right.starts_with('[')
                && !right.contains("lambda")
                && IN_PLACE.iter().any(|m| right.contains(m))
        },
    },
    // Python's SyntaxWarning "is" with a literal: identity, not equality.
    Rule {
        families: PY,
        what: "compares identity with `is` where equality is meant",
        keys: &[
            "is\"", "is'", "isnot", "is0", "is1", "is2", "is3", "is4", "is5", "is6", "is7", "is8",
            "is9",
        ],
        hit: |s| {
            s.raw.match_indices(" is ").any(|(i, _)| {
                let after = &s.raw[i + 4..];
                let after = after.strip_prefix("not ").unwrap_or(after).trim_start();
                after.starts_with(|c: char| c.is_ascii_digit() || c == '"' || c == '\'')
            })
        },
    },
    // bandit B506: yaml.load without a safe loader builds arbitrary objects.
    Rule {
        families: PY,
        what: "yaml.load without a safe loader",
        keys: &["yaml.load("],
        hit: |s| s.line.contains("yaml.load(") && !s.line.contains("Loader"),
    },
    // bandit B501, ESLint-security: certificate checks turned off.
    Rule {
        families: ANY,
        what: "turns off TLS certificate verification",
        keys: TLS_OFF,
        hit: |s| has_any(s.line, TLS_OFF),
    },
    // bandit B303/B324: MD5 and SHA-1 are fast, unsuitable for passwords.
    Rule {
        families: ANY,
        what: "a fast hash (MD5 or SHA-1) for secrets",
        keys: &["md5", "sha1"],
        hit: |s| {
            let l = s.line.to_ascii_lowercase();
            has_any(
                &l,
                &[
                    "md5(", "sha1(", "'md5'", "\"md5\"", "'sha1'", "\"sha1\"", "md5.new",
                    "sha1.new",
                ],
            ) && about_secrets(s)
        },
    },
    // bandit B608, CWE-89: SQL built by string formatting.
    Rule {
        families: ANY,
        what: "SQL built from strings (injectable)",
        keys: &["execute(", "query(", "raw(", "exec(", "sql="],
        hit: |s| {
            let l = s.line.to_ascii_lowercase();
            let sql = has_any(&l, &["select", "insert", "update", "delete"])
                && has_any(&l, &["from", "into", "set", "where"]);
            let formatted = has_any(
                &l,
                &[
                    "f\"", "f'", "\"+", "'+", "+\"", "+'", "${", "%s\"%", ".format(", "\"%", "'%",
                ],
            ) && !has_any(
                &l,
                &["?,", "(?", "=?", "%s\",(", "%s',(", "$1", ":id", ":name"],
            );
            sql && formatted && has_any(&l, &["execute(", "query(", "raw(", "exec(", "sql="])
        },
    },
    // bandit B602/B605: a shell command built from strings.
    Rule {
        families: PY,
        what: "a shell command built from strings (injectable)",
        keys: &["os.system(", "shell=True"],
        hit: |s| {
            (s.line.contains("os.system(") || s.line.contains("shell=True"))
                && has_any(s.line, &["f\"", "f'", "+", ".format(", "%"])
        },
    },
    // bandit B311, CWE-338: a non-cryptographic generator for a secret.
    Rule {
        families: ANY,
        what: "predictable randomness for a secret",
        keys: WEAK_RANDOM,
        hit: |s| has_any(s.line, WEAK_RANDOM) && about_secrets(s),
    },
    // CWE-732: world-writable permissions.
    Rule {
        families: ANY,
        what: "world-writable permissions (777)",
        keys: WORLD_WRITABLE,
        hit: |s| has_any(s.line, WORLD_WRITABLE),
    },
    // ShellCheck SC1035 and SC1020: `[` and `]` are words, so a test needs spaces inside
    // its brackets; `if [$x -eq 1]` runs a command named `[1`.
    Rule {
        families: &[Family::Shell],
        what: "a test bracket without the spaces it needs (`[$x` or `$x]`)",
        keys: &["if[", "while[", "until[", "&&[", "||["],
        hit: |s| cramped_test(s.raw),
    },
    // CERT C FIO47-C (gcc -Wformat): scanf stores through pointers; a plain variable for a
    // number conversion is written to whatever address its value happens to be.
    Rule {
        families: &[Family::C],
        what: "scanf given a variable where it needs its address (`&x`)",
        keys: &["scanf("],
        hit: |s| scanf_without_address(s.line),
    },
    // ESLint no-loop-func: a callback made in a `var` loop sees the loop's last value.
    Rule {
        families: JS,
        what: "a callback inside a `for (var …)` loop, which sees only the last value",
        keys: &["for(var"],
        hit: |s| {
            has_any(
                s.block,
                &["setTimeout(", "addEventListener(", "setInterval("],
            )
        },
    },
    // CERT C ARR30-C, SpotBugs RANGE_ARRAY_INDEX: a loop from 0 while `i <= length` reads
    // one element past the end.
    Rule {
        families: &[Family::C, Family::Js, Family::Java, Family::Go],
        what: "a loop from 0 up to and including the length, one past the end",
        keys: &[".length;", ".length()", ".size()", "<=len(", "<=strlen("],
        hit: |s| one_past_the_end(s.line),
    },
    // ShellCheck SC2045: `for f in $(ls …)` splits names at spaces; a glob does not.
    Rule {
        families: &[Family::Shell],
        what: "a loop over `ls` output, which splits file names at spaces",
        keys: LS_LOOP,
        hit: |s| has_any(s.line, LS_LOOP),
    },
    // ShellCheck SC2115: rm -rf on an unquoted variable can remove /.
    Rule {
        families: &[Family::Shell],
        what: "rm -rf on an unquoted variable",
        keys: RM_UNQUOTED,
        hit: |s| has_any(s.line, RM_UNQUOTED),
    },
    // typescript-eslint require-array-sort-compare: numbers sort as strings without one.
    Rule {
        families: JS,
        what: "sort() without a comparator sorts numbers as strings",
        keys: &[".sort()"],
        hit: |s| {
            s.line.contains(".sort()")
                && (has_any(
                    s.prompt,
                    &["number", "numeric", "integer", "ages", "scores", "prices"],
                ) || numeric_array(s.block))
        },
    },
    // ESLint valid-typeof: typeof never gives these.
    Rule {
        families: JS,
        what: "compares typeof with a type it never returns",
        keys: &["typeof"],
        hit: |s| {
            s.line.contains("typeof")
                && has_any(
                    s.line,
                    &[
                        "'array'",
                        "\"array\"",
                        "'null'",
                        "\"null\"",
                        "'integer'",
                        "\"integer\"",
                        "'float'",
                        "\"float\"",
                        "'list'",
                        "\"list\"",
                        "'int'",
                        "\"int\"",
                    ],
                )
        },
    },
    // ESLint use-isnan: nothing equals NaN, not even NaN.
    Rule {
        families: ANY,
        what: "compares with NaN, which equals nothing",
        keys: NAN,
        hit: |s| has_any(s.line, NAN),
    },
    // The fetch spec: a no-cors response is opaque, its body cannot be read.
    Rule {
        families: JS,
        what: "a no-cors fetch, whose response cannot be read",
        keys: &["no-cors"],
        hit: |s| s.line.contains("mode:'no-cors'") || s.line.contains("mode:\"no-cors\""),
    },
    // ESLint no-misused-promises family: forEach does not wait for an async callback.
    Rule {
        families: JS,
        what: "an async callback in forEach, which is never awaited",
        keys: &["forEach(async"],
        hit: |s| s.line.contains("forEach(async"),
    },
    // CWE-79: markup built from values.
    Rule {
        families: JS,
        what: "innerHTML set from a value (script injection)",
        keys: &["innerHTML"],
        hit: |s| {
            s.line.contains("innerHTML=") && has_any(s.line, &["+", "${"])
                || s.line.contains("innerHTML+=")
        },
    },
    // ESLint no-cond-assign, gcc -Wparentheses: an assignment where a test was meant.
    Rule {
        families: C_LIKE,
        what: "an assignment inside an if condition",
        keys: &["if("],
        hit: |s| {
            // Doubled parentheses are the usual mark of an intended assignment.
            let Some(cond) = s.bare.strip_prefix("if(").filter(|c| !c.starts_with('(')) else {
                return false;
            };
            let cond = cond.split(')').next().unwrap_or("");
            cond.char_indices().any(|(i, c)| {
                c == '='
                    && !cond[..i].ends_with(['=', '!', '<', '>'])
                    && !cond[i + 1..].starts_with('=')
            })
        },
    },
    // SpotBugs ES_COMPARING_STRINGS_WITH_EQ: == compares references.
    Rule {
        families: &[Family::Java],
        what: "compares strings with ==",
        keys: &["==\"", "\"==", "!=\"", "\"!="],
        hit: |s| has_any(s.bare, &["==\"", "\"==", "!=\"", "\"!="]),
    },
    // CERT C STR31-C: strlen leaves no room for the terminating NUL.
    Rule {
        families: &[Family::C],
        what: "allocates strlen() bytes, with no room for the terminating NUL",
        keys: &["malloc(strlen("],
        hit: |s| {
            s.line.contains("malloc(strlen(") && !s.line.contains("+1") && !s.line.contains("1+")
        },
    },
    // CERT C MSC24-C: gets cannot be bounded.
    Rule {
        families: &[Family::C],
        what: "gets(), which cannot be used safely",
        keys: &["gets("],
        hit: |s| s.bare.contains("gets(") && !s.bare.contains("fgets("),
    },
    // go vet (the Go memory model): main returns without waiting for its goroutines.
    Rule {
        families: &[Family::Go],
        what: "starts goroutines and never waits for them",
        keys: &["gofunc("],
        hit: |s| {
            s.line.starts_with("gofunc(")
                && s.block.contains("funcmain()")
                && !has_any(
                    s.block,
                    &["WaitGroup", "<-", "errgroup", "time.Sleep", ".Wait()"],
                )
        },
    },
];

/// Whether the block sorts an array literal of numbers (`[10, 1, 5]`).
fn numeric_array(block: &str) -> bool {
    block.split('[').skip(1).any(|rest| {
        let inner = rest.split(']').next().unwrap_or("");
        inner.contains(',')
            && inner
                .split(',')
                .all(|n| !n.is_empty() && n.parse::<f64>().is_ok())
    })
}
