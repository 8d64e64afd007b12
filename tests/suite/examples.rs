//! A hybrid draft's own examples, checked by running them in the sandbox, through the real
//! binary: a draft whose example claims a wrong result is escalated with the run's finding;
//! one whose claim holds stands with the check recorded; the check can be turned off, never
//! runs unconfined, and a hostile example is contained and stopped.

use crate::support;

use predicates::prelude::PredicateBooleanExt;
use support::of;
use support::protocol::*;

const PROMPT: &str = "write a python function sum_to(n) that adds the integers 1 to n";

fn draft(range: &str, claimed: &str) -> String {
    format!(
        "Here it is:\n\n```python\ndef sum_to(n):\n    total = 0\n    for i in {range}:\n        \
         total += i\n    return total\n```\n\nFor example, `sum_to(5)` returns {claimed}, and \
         the loop adds each integer once.\n"
    )
}

fn run(d: &tempfile::TempDir, answer: &str, extra: &str) -> Vec<serde_json::Value> {
    let lm = fake_lmstudio("m", &[answer]);
    let ol = fake_ollama(&["q"], &["def sum_to(n):\n    return n * (n + 1) // 2\n"]);
    write_config(d.path(), &lm.url(), &ol.url(), extra);
    support::json_events(d.path(), &["--backend", "hybrid", "-p", PROMPT])
}

fn examples(ev: &[serde_json::Value]) -> serde_json::Value {
    of(ev, "confidence")[0]["signals"]["examples"].clone()
}

#[test]
fn a_draft_whose_own_example_is_wrong_is_escalated_with_what_the_run_found() {
    let d = tempfile::tempdir().unwrap();
    // Off by one: range(1, n) never adds n, so sum_to(5) is 10, not the claimed 15.
    let ev = run(&d, &draft("range(1, n)", "15"), "");
    let checked = examples(&ev);
    assert!(checked["score"].as_f64().unwrap() < 0.1, "{checked}");
    let detail = checked["detail"].as_str().unwrap();
    assert!(detail.contains("`sum_to(5)` gives 10, not 15"), "{detail}");
    let escalate = of(&ev, "escalate");
    assert_eq!(escalate.len(), 1, "{ev:#?}");
    assert_eq!(of(&ev, "done").last().unwrap()["backend"], "ollama");
}

#[test]
fn a_draft_whose_example_holds_stands_and_says_it_was_checked() {
    let d = tempfile::tempdir().unwrap();
    let ev = run(&d, &draft("range(1, n + 1)", "15"), "");
    let checked = examples(&ev);
    assert_eq!(checked["score"], 1.0, "{checked}");
    assert!(of(&ev, "escalate").is_empty(), "{:?}", of(&ev, "escalate"));
    assert_eq!(of(&ev, "done")[0]["backend"], "lmstudio");
    let said = of(&ev, "status").iter().any(|s| {
        s["message"]
            .as_str()
            .unwrap_or("")
            .contains("in the sandbox")
    });
    assert!(said, "the user is told the example runs");
}

#[test]
fn the_check_can_be_turned_off_and_never_runs_unconfined() {
    let d = tempfile::tempdir().unwrap();
    let wrong = draft("range(1, n)", "15");
    for extra in [
        "[hybrid.routing]\ncheck_examples = false\n",
        "[sandbox]\nmode = \"off\"\n",
    ] {
        let ev = run(&d, &wrong, extra);
        assert!(examples(&ev).is_null(), "{extra}: {:?}", examples(&ev));
        assert!(!of(&ev, "confidence").is_empty(), "still scored");
    }
}

#[test]
fn a_hostile_example_is_contained_and_stopped() {
    let d = tempfile::tempdir().unwrap();
    let outside = d.path().join("written-by-the-draft");
    let answer = format!(
        "```python\nopen({:?}, 'w').write('x')\ndef spin(n):\n    while True:\n        n += 1\n```\n\n\
         `spin(1)` returns 2.\n",
        outside.display().to_string()
    );
    let started = std::time::Instant::now();
    let ev = run(&d, &answer, "");
    assert!(
        !outside.exists(),
        "the draft's code wrote outside its scratch directory"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the endless example was stopped"
    );
    let checked = examples(&ev);
    assert!(
        checked.is_null() || checked["score"].as_f64().unwrap() < 0.5,
        "an example that never returns is no confirmation: {checked}"
    );
    assert_eq!(of(&ev, "done").len(), 1, "{ev:#?}");
}

fn scored(prompt: &str, answer: &str) -> codecrucible::confidence::Report {
    let cfg = codecrucible::Config::default().sandbox;
    codecrucible::engine::examples::scored(
        &cfg,
        &codecrucible::confidence::Draft {
            prompt,
            answer,
            task_type: codecrucible::router::TaskType::Generation,
            finish_reason: Some("stop"),
            logprobs: &[],
        },
    )
}

fn examples_of(r: &codecrucible::confidence::Report) -> Option<(f32, String)> {
    r.signals
        .get("examples")
        .map(|s| (s.score, s.detail.clone()))
}

/// A prompt asking what its code gives: the `wrong` reply is caught with what the run shows,
/// the `right` one is confirmed.
fn question_is_checked(prompt: &str, (wrong, shows): (&str, &str), right: &str) {
    let (score, detail) = examples_of(&scored(prompt, wrong)).expect("checked");
    assert!(score < 0.1 && detail.contains(shows), "{detail}");
    assert_eq!(examples_of(&scored(prompt, right)).map(|e| e.0), Some(1.0));
}

#[test]
fn javascript_comments_python_questions_and_ordinary_calls_are_checked() {
    // A JavaScript claim in a comment, run in node: numbers sort as strings.
    let js = "```javascript\nconst ages = [30, 4, 100];\nages.sort();\nconsole.log(ages); \
              // [4, 30, 100]\n```\n";
    let (score, detail) = examples_of(&scored("sort ages", js)).expect("checked");
    assert!(score < 0.1 && detail.contains("[ 100, 30, 4 ]"), "{detail}");
    // The prompt asks what its code prints; the answer's reply is run against it.
    question_is_checked(
        "What does `print(sorted([3, 1, 2])[0])` print in Python?",
        ("It prints `3`, the largest.", "gives 1"),
        "It prints `1`: sorted() returns a new ascending list.",
    );
    // The same in JavaScript, run in node; an answer may open with the value itself.
    question_is_checked(
        "What does this print?\n```javascript\nconsole.log([1, 2, 3].map(x => x * 2).filter(x => x > 2));\n```",
        ("`[2, 4, 6]`: map doubles each value.", "[ 4, 6 ]"),
        "`[ 4, 6 ]`: map gives `[2, 4, 6]`, then filter keeps what is over 2.",
    );
    // A function with no example is called with ordinary arguments: this one crashes.
    let last = "```python\ndef last(items):\n    return items[len(items)]\n```\n";
    let (score, detail) = examples_of(&scored("last item of a list", last)).expect("checked");
    assert!(score < 0.5 && detail.contains("IndexError"), "{detail}");
    let fine = "```python\ndef last(items):\n    return items[-1]\n```\n";
    assert_eq!(
        examples_of(&scored("last item of a list", fine)),
        None,
        "nothing to say"
    );
}

#[test]
fn a_question_over_unfenced_code_is_run_and_a_value_said_in_words_counts() {
    // The prompt's code need not be fenced; the answer may show the output as a block.
    question_is_checked(
        "What does this print in Python?\n\nx = [1, 2, 3]\nprint(x[0])",
        (
            "This code will output: `[1, 2, 3]`.",
            "gives 1, not [1, 2, 3]",
        ),
        "This Python code will output:\n\n```\n1\n```\n",
    );
    // Or as a line of its own after the line that announces it.
    question_is_checked(
        "What is the output?\n\nprint('a' * 3)",
        (
            "The output of the code will be:\n\na\n\nThis is a string.",
            "gives aaa, not a",
        ),
        "The output will be:\n\naaa\n\nThe string is repeated three times.",
    );
    // A value said in words stands alone in the prose; wrong steps around it do not count.
    question_is_checked(
        "What does this Python code print?\n\nprint(2 + 3 * 4)",
        (
            "It prints 20, because 2 + 3 is 5 and 5 * 4 is 20.",
            "gives 14",
        ),
        "The Python code will output: 2 + 3 * 4, which is 2 + 12 = 14.",
    );
    // An output that is no literal is judged when the answer quotes it as the value.
    question_is_checked(
        "What is the output of `print(type([]))` in Python?",
        ("The output will be:\n\n`<class 'str'>`", "<class 'list'>"),
        "It prints `<class 'list'>`.",
    );
    // The question's call runs after the code that defines it.
    question_is_checked(
        "What does `f(3)` return?\n\ndef f(x):\n    return x * 2",
        ("It returns 5.", "gives 6"),
        "It returns 6: the function doubles its argument.",
    );
    question_is_checked(
        "What does this JavaScript print?\n\nconsole.log('1' + 2);",
        ("It prints 3, the sum.", "gives 12"),
        "This JavaScript code prints 12: the number is joined to the string.",
    );
    // A comment beside an object with no repr of its own is held to nothing.
    let point = "```python\nclass Point:\n    def __init__(self, x, y):\n        \
                 self.x, self.y = x, y\n\np = Point(1, 2)  # 1.00\n```\n";
    let judged = examples_of(&scored("a Point class with x and y", point));
    assert!(judged.as_ref().is_none_or(|e| e.0 >= 1.0), "{judged:?}");
}

#[test]
fn claims_that_held_when_run_outweigh_the_models_doubt_about_its_tokens() {
    let cfg = codecrucible::Config::default().sandbox;
    let unsure: Vec<codecrucible::logprob::TokenLogprob> = (0..40)
        .map(|i| codecrucible::logprob::TokenLogprob {
            token: format!("t{i}"),
            logprob: if i % 4 == 0 { -3.5 } else { -0.9 },
        })
        .collect();
    let draft = |answer| codecrucible::confidence::Draft {
        prompt: "What does `print(len('hello'))` print in Python?",
        answer,
        task_type: codecrucible::router::TaskType::Analysis,
        finish_reason: Some("stop"),
        logprobs: &unsure,
    };
    let right = codecrucible::engine::examples::scored(&cfg, &draft("It prints `5`."));
    assert_eq!(right.signals["examples"].score, 1.0);
    assert!(right.score > 0.9, "{right:#?}");
    let wrong = codecrucible::engine::examples::scored(&cfg, &draft("It prints `6`."));
    assert!(wrong.score < 0.3, "{wrong:#?}");
    // Unchecked, the same tokens leave the draft in doubt.
    let unchecked = codecrucible::confidence::score(&draft("It is a short word."));
    assert!(unchecked.signals["logprobs"].score < 0.6, "{unchecked:#?}");
}

#[test]
fn a_wrong_api_a_function_that_computes_nothing_and_a_crashing_script_are_caught() {
    let py = |body: &str| format!("```python\n{body}\n```\n");
    // A method the argument's type does not have.
    let rev = py("def reverse_string(s):\n    s.reverse()\n    return s");
    let (score, detail) = examples_of(&scored("reverse a string", &rev)).expect("checked");
    assert!(
        score < 0.5 && detail.contains("no attribute 'reverse'"),
        "{detail}"
    );
    // Every ordinary input gives 0: the product starts from range(n)'s 0. (A prompt that
    // names the factorial would hold it to known cases instead; this one names nothing.)
    let fact =
        py("def factorial(n):\n    r = 1\n    for i in range(n):\n        r *= i\n    return r");
    let (score, detail) = examples_of(&scored("Write the function.", &fact)).expect("checked");
    assert!(
        score < 0.5 && detail.contains("gives 0 every time"),
        "{detail}"
    );
    let leap =
        py("def is_leap(year):\n    return year % 4 == 0 and year % 100 != 0 and year % 400 == 0");
    let (_, detail) = examples_of(&scored("Write the function.", &leap)).expect("checked");
    assert!(detail.contains("gives False every time"), "{detail}");
    // A result computed and dropped: the `return` was left out.
    let dropped =
        py("def factorial(n):\n    result = 1\n    for i in range(1, n + 1):\n        result *= i");
    let (score, detail) = examples_of(&scored("factorial", &dropped)).expect("checked");
    assert!(
        score < 0.5 && detail.contains("never returns it"),
        "{detail}"
    );
    // A loop that answers on its first pass, whichever way its test goes.
    let once = py("def is_prime(n):\n    for i in range(2, n):\n        if n % i == 0:\n            return False\n        else:\n            return True\n    return n > 1");
    let (score, detail) = examples_of(&scored("is n prime", &once)).expect("checked");
    assert!(score < 0.5 && detail.contains("first pass"), "{detail}");
    // Words, grids and mappings are guessed by their parameter's name too.
    let longest = py("def longest(words):\n    best = words[0]\n    for i in range(len(words) + 1):\n        if len(words[i]) > len(best):\n            best = words[i]\n    return best");
    let (_, detail) = examples_of(&scored("longest word", &longest)).expect("checked");
    assert!(detail.contains("IndexError"), "{detail}");
    // Correct code stays unflagged: a recursive factorial on ordinary input, a real leap
    // test, a function whose guessed argument was not what it wanted (`.price`).
    for good in [
        py("def factorial(n):\n    return 1 if n <= 1 else n * factorial(n - 1)"),
        py("def is_leap(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)"),
        py("def total(items):\n    return sum(i.price for i in items)"),
        py("def greet(name):\n    msg = f'Hi {name}'\n    print(msg)"),
        py("def add_all(items, extra):\n    items += extra"),
        py("def transpose(matrix):\n    return [list(r) for r in zip(*matrix)]"),
        py("def is_adult(age):\n    return age >= 18"),
        py("def is_prime(n):\n    for i in range(2, n):\n        if n % i == 0:\n            return False\n    return n > 1"),
    ] {
        assert!(
            examples_of(&scored("write it", &good)).is_none_or(|e| e.0 == 1.0),
            "{good}"
        );
    }
    // JavaScript: a snippet that runs on its own and calls a method arrays do not have, and
    // a function that reads past the end of its array.
    let js = "```javascript\nconst fruits = ['apple', 'banana'];\nif (fruits.contains('apple')) {\n  console.log('found');\n}\n```\n";
    let (score, detail) = examples_of(&scored("array contains", js)).expect("checked");
    assert!(
        score < 0.5 && detail.contains("fruits.contains is not a function"),
        "{detail}"
    );
    let fixed = js.replace("contains(", "includes(");
    assert_eq!(
        examples_of(&scored("array contains", &fixed)),
        None,
        "nothing to say"
    );
    let past = "```js\nexport function sum(arr) {\n  let t = 0;\n  for (let i = 0; i <= arr.length; i++) t += arr[i].valueOf();\n  return t;\n}\n```\n";
    let (_, detail) = examples_of(&scored("sum an array", past)).expect("checked");
    assert!(
        detail.contains("Cannot read properties of undefined"),
        "{detail}"
    );
}

/// The prompt's `(prompt, wrong, what the run shows, right)`: the wrong draft is caught and
/// the finding says what the run gave; the right one is not held back.
fn property_is_tested(prompt: &str, wrong: &str, shows: &str, right: &str) {
    let (score, detail) = examples_of(&scored(prompt, wrong)).expect("checked");
    assert!(score < 0.5 && detail.contains(shows), "{prompt}: {detail}");
    let fine = examples_of(&scored(prompt, right));
    assert!(
        fine.as_ref().is_none_or(|e| e.0 == 1.0),
        "{prompt}: {fine:?}"
    );
}

#[test]
fn what_the_prompt_asks_of_a_function_is_tested_by_running_it() {
    let py = |body: &str| format!("```python\n{body}\n```\n");
    let js = |body: &str| format!("```javascript\n{body}\n```\n");
    // "the last n": n items, the last ones (an off-by-one slice gives n + 1).
    property_is_tested(
        "Python: return the last n items of a list.",
        &py("def last_items(items, n):\n    return items[-n - 1:]"),
        "where the request asks for [16, 17, 18, 19, 20]",
        &py("def last_items(items, n):\n    return items[len(items) - n:]"),
    );
    // A file's last lines, read from a real file in the sandbox's scratch directory.
    property_is_tested(
        "Write a Python function that returns the last n lines of a text file.",
        &py("def tail(path, n):\n    with open(path) as f:\n        return f.readlines()[-n:-1]"),
        "`tail('lines.txt', 5)`",
        &py("from collections import deque\ndef tail(path, n):\n    with open(path) as f:\n        return list(deque(f, maxlen=n))"),
    );
    // A maximum that starts from 0 is wrong for negative numbers.
    property_is_tested(
        "Write a function that finds the largest number in a list of ints.",
        &py("def find_max(nums):\n    best = 0\n    for x in nums:\n        if x > best:\n            best = x\n    return best"),
        "gives 0, where the request asks for -2",
        &py("def find_max(nums):\n    best = nums[0]\n    for x in nums[1:]:\n        best = x if x > best else best\n    return best"),
    );
    // A binary search that never looks at the last candidate.
    property_is_tested(
        "Binary search: return the index of target in a sorted list, or -1 if absent.",
        &py("def search(arr, target):\n    lo, hi = 0, len(arr) - 1\n    while lo < hi:\n        mid = (lo + hi) // 2\n        if arr[mid] == target:\n            return mid\n        if arr[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1"),
        "where the request asks for",
        &py("def search(arr, target):\n    lo, hi = 0, len(arr) - 1\n    while lo <= hi:\n        mid = (lo + hi) // 2\n        if arr[mid] == target:\n            return mid\n        if arr[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n    return -1"),
    );
    // Duplicates removed in order; a page of a 1-based pagination; even numbers summed.
    property_is_tested(
        "Remove duplicates from a list while keeping the original order.",
        &py("def dedupe(items):\n    return list(set(items))"),
        "where the request asks for [3, 1, 2]",
        &py("def dedupe(items):\n    return list(dict.fromkeys(items))"),
    );
    property_is_tested(
        "Write paginate(items, page, size) where page is 1-based.",
        &py("def paginate(items, page, size):\n    start = (page - 1) * size\n    return items[start:start + size - 1]"),
        "where the request asks for [4, 5, 6]",
        &py("def paginate(items, page, size):\n    start = (page - 1) * size\n    return items[start:start + size]"),
    );
    property_is_tested(
        "Return the sum of the even numbers in a list.",
        &py("def sum_even(nums):\n    return sum(x for x in nums if x % 2)"),
        "gives 9, where the request asks for 20",
        &py("def sum_even(nums):\n    return sum(x for x in nums if x % 2 == 0)"),
    );
    // The same properties in JavaScript, run in node.
    property_is_tested(
        "JavaScript: a function that returns the last n elements of an array.",
        &js("function lastN(arr, n) {\n  return arr.slice(-n - 1);\n}"),
        "where the request asks for [16,17,18,19,20]",
        &js("function lastN(arr, n) {\n  return n > 0 ? arr.slice(-n) : [];\n}"),
    );
    property_is_tested(
        "Sort an array of numbers in ascending order.",
        &js("function sortNums(nums) {\n  return nums.sort();\n}"),
        "where the request asks for",
        &js("function sortNums(nums) {\n  return [...nums].sort((a, b) => a - b);\n}"),
    );
    // A file the prompt names is there for code that opens it by name.
    let named = py("import json\ndef load_settings():\n    with open('settings.json') as f:\n        return json.loads(f)");
    let (_, detail) = examples_of(&scored(
        "Load settings from settings.json into a dict.",
        &named,
    ))
    .expect("checked");
    assert!(
        detail.contains("`load_settings()` raises TypeError"),
        "{detail}"
    );
    let fixed = named.replace("json.loads(f)", "json.load(f)");
    let e = examples_of(&scored(
        "Load settings from settings.json into a dict.",
        &fixed,
    ));
    assert!(e.as_ref().is_none_or(|e| e.0 == 1.0), "{e:?}");
    // A file object where its text is wanted.
    let json = py("import json\ndef load_config(path):\n    with open(path) as f:\n        return json.loads(f)");
    let (_, detail) = examples_of(&scored("load a JSON config file", &json)).expect("checked");
    assert!(detail.contains("load_config('data.json')"), "{detail}");
    // A sort by a key, or a second largest, gives no property to hold a draft to.
    for (prompt, body) in [
        (
            "Sort the users by age.",
            "def sort_users(users):\n    return sorted(users)",
        ),
        (
            "Return the second largest number in a list.",
            "def second(nums):\n    return sorted(set(nums))[-2]",
        ),
    ] {
        let e = examples_of(&scored(prompt, &py(body)));
        assert!(e.as_ref().is_none_or(|e| e.0 == 1.0), "{prompt}: {e:?}");
    }
}

#[test]
fn a_textbook_function_the_prompt_names_is_called_on_known_cases() {
    let py = |body: &str| format!("```python\n{body}\n```\n");
    let js = |body: &str| format!("```js\n{body}\n```\n");
    // A prime test without its loop, and the century rule of leap years forgotten.
    property_is_tested(
        "Write a Python function that checks whether a number is prime.",
        &py("def is_prime(n):\n    return n > 1 and n % 2 == 1"),
        "`is_prime(2)` gives False, where the request asks for True",
        &py("def is_prime(n):\n    if n < 2:\n        return False\n    return all(n % d for d in range(2, int(n ** 0.5) + 1))"),
    );
    property_is_tested(
        "is_leap(year): True for leap years",
        &py("def is_leap(year):\n    return year % 4 == 0"),
        "`is_leap(1900)` gives True, where the request asks for False",
        &py(
            "def is_leap(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)",
        ),
    );
    // Words counted in a real scratch file when the function takes a path.
    property_is_tested(
        "Write a Python function that reads a text file and returns the number of words in it.",
        &py("def count_words(path):\n    with open(path) as f:\n        return len(f.readlines())"),
        "`count_words('lines.txt')` gives 20, where the request asks for 40",
        &py("def count_words(path):\n    with open(path) as f:\n        return len(f.read().split())"),
    );
    // Both Fibonacci conventions stand; one past them does not.
    property_is_tested(
        "Return the nth Fibonacci number.",
        &py("def fib(n):\n    a, b = 1, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a"),
        "where the request asks for",
        &py("def fib(n):\n    a, b = 0, 1\n    for _ in range(n - 1):\n        a, b = b, a + b\n    return a"),
    );
    // In JavaScript: a sum that weighs by index; a helper beside the function is not picked.
    property_is_tested(
        "Write a JavaScript function that sums an array of numbers.",
        &js("function sumArray(arr) {\n  return arr.reduce((acc, x, i) => acc + x * i, 0);\n}"),
        "`sumArray([1,2,3,4])` gives 20, where the request asks for 10",
        &js("const sumArray = (arr) => arr.reduce((acc, x) => acc + x, 0);"),
    );
    property_is_tested(
        "JS: check whether a string is a palindrome",
        &js("function clean(s) {\n  return s.toLowerCase();\n}\nfunction isPalindrome(s) {\n  return clean(s)[0] === clean(s)[s.length - 1];\n}"),
        "`isPalindrome(\"abca\")` gives true, where the request asks for false",
        &js("function clean(s) {\n  return s.toLowerCase();\n}\nfunction isPalindrome(s) {\n  const t = clean(s);\n  return t === [...t].reverse().join('');\n}"),
    );
    // A recursion without its base case never gives a value, even on the first case; nor
    // does one that reaches its own `raise` on an ordinary input.
    property_is_tested(
        "Write a JavaScript function that returns the factorial of n.",
        &js("function factorial(n) {\n  return n * factorial(n - 1);\n}"),
        "`factorial(3)` raises RangeError, where the request asks for 6",
        &js("function factorial(n) {\n  return n <= 1 ? 1 : n * factorial(n - 1);\n}"),
    );
    property_is_tested(
        "Write a Python function that returns the factorial of n using a loop.",
        &py("def factorial(n):\n    if n < 0:\n        raise ValueError('negative')\n    return n * factorial(n - 1)"),
        "`factorial(3)` raises ValueError, where the request asks for 6",
        &py("def factorial(n):\n    if n < 0:\n        raise ValueError('negative')\n    out = 1\n    for k in range(2, n + 1):\n        out *= k\n    return out"),
    );
    // A run of numbers to print is compared with what each block prints.
    property_is_tested(
        "Write Python code to print the numbers from 1 to 10.",
        &py("print(*[i + 1 for i in range(1, 11)])"),
        "the code prints 2 3 4 … 10 11, where the request asks for the numbers 1 to 10",
        &py("for i in range(1, 11):\n    print(i)\n```\nOr in one line:\n```python\nprint(*range(1, 11))"),
    );
    property_is_tested(
        "Count from 10 to 1 in JavaScript",
        &js("for (let i = 10; i > 1; i--) console.log(i);"),
        "the code prints 10 9 8 … 3 2, where the request asks for the numbers 10 to 1",
        &js("for (let i = 10; i >= 1; i--) console.log(i);"),
    );
    // A textbook pattern is tried on strings it must match whole and strings it must not,
    // in Python's `re` or, for a JavaScript answer, in node.
    property_is_tested(
        "Write a regex that matches a string of only digits.",
        "Here's a regex that matches only digits:\n\n```\n^[01]\n```\n",
        "the pattern `^[01]` does not match '123', where the request asks for a pattern for only digits",
        "Use `^\\d+$`, or `\\d+` with `re.fullmatch`.",
    );
    property_is_tested(
        "Write a Python regex to validate an email address",
        &py("import re\n\ndef is_email(s):\n    return re.match(r\"[a-z]+@[a-z]+\", s) is not None"),
        "does not match 'user@example.com'",
        &py("import re\n\ndef is_email(s):\n    return re.fullmatch(r\"[^@\\s]+@[^@\\s]+\\.[^@\\s]+\", s) is not None"),
    );
    property_is_tested(
        "JavaScript regex for a hex color",
        &js("const isHex = (s) => /^#[0-9a-f]{3}$/i.test(s);"),
        "does not match '#1a2B3c'",
        &js("const isHex = (s) => /^#([0-9a-f]{3}){1,2}$/i.test(s);"),
    );
    // A function that prints instead of returning, or answers another task, is not judged.
    for (prompt, body) in [
        (
            "Write a function that prints whether a number is even.",
            "def show(n):\n    print('even' if n % 2 == 0 else 'odd')",
        ),
        (
            "Print the first 10 primes.",
            "def primes(n):\n    out, k = [], 2\n    while len(out) < n:\n        if all(k % d for d in range(2, k)):\n            out.append(k)\n        k += 1\n    return out",
        ),
    ] {
        let e = examples_of(&scored(prompt, &py(body)));
        assert!(e.as_ref().is_none_or(|e| e.0 == 1.0), "{prompt}: {e:?}");
    }
}

#[test]
fn compiled_code_that_does_not_build_is_caught_by_its_compiler_in_the_sandbox() {
    let block = |tag: &str, body: &str| format!("Here you go:\n```{tag}\n{body}\n```\n");
    let built = |tag: &str, body: &str| examples_of(&scored("Write it.", &block(tag, body)));
    // A type error the grammar cannot see: Rust does not divide f64 by usize.
    let mean = "fn mean(values: &[f64]) -> f64 {\n    let total: f64 = values.iter().sum();\n    total / values.len()\n}";
    let (score, detail) = built("rust", mean).expect("compiled");
    assert!(score < 0.5, "{detail}");
    assert!(
        detail.contains("the Rust code does not build")
            && detail.contains("E0277")
            && detail.contains("line 3"),
        "{detail}"
    );
    assert_eq!(
        built("rust", &mean.replace("values.len()", "values.len() as f64")),
        None
    );
    // A C header by a name no C header has; the right one builds.
    let max = "#include <stdint>\nint max(int a, int b) { return a > b ? a : b; }";
    let (_, detail) = built("c", max).expect("compiled");
    assert!(detail.contains("the C code does not build"), "{detail}");
    assert_eq!(built("c", &max.replace("<stdint>", "<stdint.h>")), None);
    // C++: an int where a string is wanted.
    let cpp = "int total(const std::vector<int>& v) {\n    int s = 0;\n    for (int x : v) s += x;\n    std::string t = s;\n    return s;\n}";
    let (_, detail) = built("cpp", cpp).expect("compiled");
    assert!(detail.contains("the C++ code does not build"), "{detail}");
    // Java statements, made whole inside a method: a String is no int.
    let java = "String greeting = \"Hello\";\nint n = greeting;\nSystem.out.println(n);";
    let (_, detail) = built("java", java).expect("compiled");
    assert!(
        detail.contains("the Java code does not build") && detail.contains("line 2"),
        "{detail}"
    );
    assert_eq!(
        built(
            "java",
            &java.replace("int n = greeting;", "int n = greeting.length();")
        ),
        None
    );
    // Go: a string where an int is wanted, and a name the standard package does not have;
    // the standard imports a fragment uses are supplied.
    let go = "x := strconv.Itoa(5) + 1\nfmt.Println(x)";
    let (_, detail) = built("go", go).expect("compiled");
    assert!(
        detail.contains("the Go code does not build") && detail.contains("mismatched types"),
        "{detail}"
    );
    assert_eq!(built("go", &go.replace("+ 1", "+ \"1\"")), None);
    let (_, detail) = built("go", "fmt.Severity(\"done\")").expect("compiled");
    assert!(detail.contains("undefined: fmt.Severity"), "{detail}");
    // TypeScript: an object without a property its interface requires.
    let ts = "interface User { id: number; name: string }\nconst u: User = { id: 1 };";
    let (_, detail) = built("ts", ts).expect("compiled");
    assert!(
        detail.contains("the TypeScript code does not build") && detail.contains("TS2741"),
        "{detail}"
    );
    assert_eq!(
        built("ts", &ts.replace("{ id: 1 }", "{ id: 1, name: \"a\" }")),
        None
    );
    // Fragments that need surroundings they were not given are not held against them:
    // statements outside a function, a type and a crate from elsewhere, a sketch.
    for (tag, body) in [
        (
            "rust",
            "let v = Config::load(path)?;\nprintln!(\"{}\", v.name);",
        ),
        (
            "rust",
            "use serde::Deserialize;\n#[derive(Deserialize)]\nstruct A { b: u32 }",
        ),
        ("c", "node->next = head;\nhead = node;"),
        ("rust", "fn f() {\n    ...\n}"),
        ("cpp", "std::cout << greet(name) << std::endl;"),
        (
            "java",
            "public User find(long id) {\n    return repo.findById(id).orElseThrow();\n}",
        ),
        ("go", "result := compute(data)\nfmt.Println(result)"),
        (
            "ts",
            "import express from \"express\";\nconst app = express();",
        ),
        (
            "ts",
            "private count = 0;\nincrement(): void {\n  this.count++;\n}",
        ),
    ] {
        assert_eq!(built(tag, body), None, "{body}");
    }
}

#[test]
fn a_shell_command_whose_program_refuses_its_options_is_caught() {
    let block = |body: &str| format!("Run:\n```bash\n{body}\n```\n");
    let prompt = "Shell command to create a directory named build";
    let (score, detail) =
        examples_of(&scored(prompt, &block("# make it\nmkdir -r build"))).expect("run");
    assert!(score < 0.5, "{detail}");
    assert!(
        detail.contains("mkdir: invalid option -- 'r'") && detail.contains("(in `mkdir -r build`)"),
        "{detail}"
    );
    // The right flag; a command that fails only for want of a file or a network; and a
    // prompt about another system, whose commands take other options.
    for (prompt, body) in [
        (prompt, "mkdir -p build"),
        (
            "Show the last lines of the log",
            "tail -n 20 /var/log/app.log",
        ),
        (
            "Fetch the page",
            "curl -fsS https://example.com/ | head -n 5",
        ),
        ("On macOS, print yesterday's date", "date -v-1d"),
    ] {
        let e = examples_of(&scored(prompt, &block(body)));
        assert!(e.as_ref().is_none_or(|e| e.0 == 1.0), "{body}: {e:?}");
    }
}

#[test]
fn a_rewrite_that_must_keep_behaviour_is_run_beside_the_prompts_code() {
    let py = |body: &str| format!("Here it is:\n```python\n{body}\n```\n");
    let comprehension =
        "Refactor to a list comprehension:\nresult = []\nfor x in range(10):\n    if x % 2 == 0:\n        result.append(x)";
    property_is_tested(
        comprehension,
        &py("result = [x for x in range(10)]"),
        "`result`, run as it is, gives [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] where the original gives [0, 2, 4, 6, 8]",
        &py("result = [x for x in range(10) if x % 2 == 0]"),
    );
    // A free variable gets an ordinary value by its name; the draft raises on it.
    property_is_tested(
        "Convert this to an f-string: print('Total: %.2f' % total)",
        &py("print(f'Total: {total:.2d}')"),
        "ValueError",
        &py("print(f'Total: {total:.2f}')"),
    );
    // A function of the same name returns something else on ordinary input.
    property_is_tested(
        "Simplify this function:\n```python\ndef count_pos(nums):\n    c = 0\n    for x in nums:\n        if x > 0:\n            c += 1\n    return c\n```",
        &py("def count_pos(nums):\n    return sum(1 for x in nums if x >= 1) + 1"),
        "`count_pos([1, 3, 5, 7, 9])` gives 6 where the original gives 5",
        &py("def count_pos(nums):\n    return sum(1 for x in nums if x > 0)"),
    );
    // The ordinary values sit on the edges: a three-letter word tells `>= 3` from `> 3`,
    // zero tells `>= 0` from `> 0`.
    property_is_tested(
        "Refactor to a list comprehension:\nout = []\nfor w in words:\n    if len(w) > 3:\n        out.append(w.upper())",
        &py("out = [w.upper() for w in words if len(w) >= 3]"),
        "where the original gives ['APPLE', 'BANANA', 'KIWI']",
        &py("out = [w.upper() for w in words if len(w) > 3]"),
    );
    property_is_tested(
        "Rewrite with filter():\npositives = []\nfor n in nums:\n    if n > 0:\n        positives.append(n)",
        &py("positives = list(filter(lambda n: n >= 0, nums))"),
        "`positives`",
        &py("positives = list(filter(lambda n: n > 0, nums))"),
    );
    // A prompt that asks for a different behaviour is not compared.
    let fix =
        "Refactor this and fix the bug:\nresult = []\nfor x in range(10):\n    result.append(x)";
    let e = examples_of(&scored(fix, &py("result = list(range(1, 10))")));
    assert!(e.is_none_or(|e| e.0 == 1.0));
}

#[test]
fn judge_without_running_sees_missed_renames_sql_that_no_dialect_accepts_and_unfixed_bugs() {
    let d = tempfile::tempdir().unwrap();
    let judge = |prompt: &str, answer: &str| -> serde_json::Value {
        let out = support::cli(d.path())
            .args(["judge", prompt, "-", "--no-run", "--json"])
            .write_stdin(answer.to_owned())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let rename = "Rename `calc` to `compute_total` everywhere:\n```python\ndef calc(items):\n    \
                  return sum(items)\n\nprint(calc([]))\n```";
    let missed =
        "```python\ndef compute_total(items):\n    return sum(items)\n\nprint(calc([]))\n```";
    let v = judge(rename, missed);
    assert_eq!(v["escalate"], true, "{v}");
    assert!(v["signals"]["asked"]["detail"]
        .as_str()
        .unwrap()
        .contains("still uses `calc`"));
    let done = missed.replace("calc([])", "compute_total([])");
    assert_eq!(judge(rename, &done)["escalate"], false);

    let sql = "```sql\nSELECT d.name,\n       AVG(e.salary) AS avg_salary,\nFROM employees e\n\
               JOIN departments d ON d.id = e.dept_id\nGROUP BY d.name;\n```";
    let v = judge("SQL: average salary per department", sql);
    assert_eq!(v["escalate"], true, "{v}");
    assert!(
        v["signals"]["syntax"]["detail"]
            .as_str()
            .unwrap()
            .contains("sql"),
        "{v}"
    );
    assert_eq!(
        judge(
            "SQL: average salary per department",
            &sql.replace("avg_salary,", "avg_salary")
        )["escalate"],
        false
    );

    let fix = "Fix the SQL injection in: cursor.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\")";
    let again = "Use an f-string:\n```python\ncursor.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n```";
    let v = judge(fix, again);
    assert_eq!(v["escalate"], true, "{v}");
    assert!(v["signals"]["hazards"]["detail"]
        .as_str()
        .unwrap()
        .contains("SQL built from strings"));
}

#[test]
fn judge_says_how_a_draft_would_be_judged_and_why() {
    let d = tempfile::tempdir().unwrap();
    let wrong = d.path().join("answer.md");
    std::fs::write(&wrong, draft("range(1, n)", "15")).unwrap();
    let out = support::cli(d.path())
        .args(["judge", PROMPT])
        .arg(&wrong)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["escalate"], true, "{v}");
    assert_eq!(v["task_type"], "generation");
    assert!(v["signals"]["examples"]["detail"]
        .as_str()
        .unwrap()
        .contains("gives 10, not 15"));
    // Without running, the claim is not checked and the draft looks fine.
    support::cli(d.path())
        .args(["judge", PROMPT, "-", "--no-run"])
        .write_stdin(draft("range(1, n)", "15"))
        .assert()
        .success()
        .stdout(predicates::str::contains("keep the fast draft"))
        .stdout(predicates::str::contains("examples").not());
    // A file that is not there, or a task type that does not exist: one sentence, exit 2.
    support::cli(d.path())
        .args(["judge", PROMPT, "no-such-file.md"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot read the answer from no-such-file.md",
        ));
    support::cli(d.path())
        .args(["judge", PROMPT])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a directory: give the file"));
    support::cli(d.path())
        .args(["judge", PROMPT, "-", "--task", "poetry"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--task poetry is not a task type",
        ));
}
