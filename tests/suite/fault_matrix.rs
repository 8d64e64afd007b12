//! The fault matrix: both backends (the OpenAI-compatible one and Ollama) × every way a
//! server fails, each checked end to end.
//!
//! One test per fault (a row). Each row runs twelve cells at once: for each backend, the
//! real binary and `HybridClient`, each with the request forced to that backend, routed
//! automatically, and on the hybrid path (see [`Mode`]). Every cell checks:
//! - the run ends, without a panic, with the documented exit code (README, "Exit codes");
//! - the fault is told in one sentence on one line that names the server (the CLI's stderr
//!   holds only the draft, `[status]` lines and that sentence);
//! - text that arrived stays: on stdout, in `RequestError.partial`, and in the session
//!   store (the CLI's history database, the client's store) marked partial;
//! - auto routing moves to the other server exactly when the first was unavailable
//!   (refused, no first token in time, a 5xx: README, "What it is") and no answer text had
//!   been shown; a forced run never moves; a failed escalation keeps the fast draft.
//!
//! The servers speak the wire formats of ../shared/PROTOCOLS.md, faults included (§1.6,
//! §2.1, §4 "Errors"). Off-machine redirect targets are names under `.invalid`, never
//! resolved.

use crate::support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::Config;
use codecrucible::store::{Status, Store, StoredMessage};
use codecrucible::{HybridClient, Request, RouteMode};
use support::protocol::*;
use support::{End, FakeServer, Reply};

const BACKENDS: [BackendId; 2] = [BackendId::Lmstudio, BackendId::Ollama];

/// What the failing server says before its fault, where it says anything.
const TOKENS: [&str; 2] = ["half of ", "an answer"];
const PARTIAL: &str = "half of an answer";
/// What the healthy other server answers.
const OTHER: [&str; 2] = ["the other ", "server answered"];
const OTHER_TEXT: &str = "the other server answered";
/// An answer that retitles the window, clears the screen and opens a CSI with the one-byte
/// C1 form (DESIGN.md, "Untrusted input").
const HOSTILE: &str = "safe\x1b]0;owned\x07 \x1b[2Jtext\u{9b}31m done";

/// Short timeouts, so the timeout rows take seconds.
const FIRST_TOKEN_SECS: u64 = 2;
const IDLE_SECS: u64 = 1;

/// A run that takes longer than this has hung.
const RUN_LIMIT: Duration = Duration::from_secs(40);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// Nothing listens on the port.
    Refused,
    /// The request is read and nothing is ever written, not even headers (a busy Ollama
    /// queues like this: PROTOCOLS.md §1.7).
    HangBeforeHeaders,
    /// Two tokens, then silence with the connection open.
    HangAfterFirstToken,
    /// A 500 before the stream, its message several lines long (a traceback, a log).
    Http500,
    /// Back-pressure: retried three times (0.5, 1, 2 s) before it counts as a failure.
    Http503,
    /// 404 for the model, in each protocol's error body.
    ModelNotFound,
    /// Two tokens, then the protocol's error object.
    ErrorMidStream,
    /// Two tokens, then the connection drops inside the chunked body.
    CutMidStream,
    /// The body ends properly but without `[DONE]`, or (Ollama) inside a line without the
    /// `"done":true` line.
    EofWithoutEnd,
    /// Two tokens, then one line of 5 MiB with no newline (the cap is 4 MiB).
    EndlessLine,
    /// Two tokens, then a line that is not JSON, then the rest of a good stream.
    MalformedJson,
    /// A 307 to a host that is not this machine.
    RedirectOffMachine,
    /// A complete answer full of escape sequences.
    TerminalEscapes,
}

/// How a fault ends a request that stays on the failing server.
struct Expect {
    /// The exit code of the CLI when the request stays on the failing server.
    exit: i32,
    /// What the user keeps: the whole answer (exit 0) or the part that arrived.
    text: &'static str,
    /// Words the error sentence must hold (none when the answer completes).
    words: Vec<String>,
    /// The server counts as unavailable: auto routing moves the request to the other one.
    moves: bool,
}

impl Fault {
    /// The failing server: its URL, and the server when something listens there.
    fn server(self, b: BackendId) -> (String, Option<FakeServer>) {
        let Some(reply) = self.reply(b) else {
            return (refused_url(), None);
        };
        let s = healthy(b, &[]);
        s.on("POST", chat_path(b), reply);
        (s.url(), Some(s))
    }

    /// The reply to the chat request; `None` when nothing listens.
    fn reply(self, b: BackendId) -> Option<Reply> {
        let lm = b == BackendId::Lmstudio;
        let (head, rest) = split(b);
        Some(match self {
            Fault::Refused => return None,
            Fault::HangBeforeHeaders => Reply::Hang,
            Fault::HangAfterFirstToken => frames(b, head).with_end(End::Hold),
            Fault::Http500 if lm => Reply::json(
                500,
                // A Python server's traceback in the message: still one line for the user.
                r#"{"error":{"code":500,"message":"Internal server error\nTraceback (most recent call last):\n  File \"server.py\", line 12","type":"server_error"}}"#,
            ),
            Fault::Http500 => Reply::json(
                500,
                r#"{"error":"llama runner process has terminated: exit status 2\nggml_cuda_init: failed to initialize CUDA"}"#,
            ),
            Fault::Http503 if lm => Reply::json(
                503,
                r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#,
            ),
            Fault::Http503 => Reply::json(
                503,
                r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#,
            ),
            Fault::ModelNotFound if lm => Reply::json(
                404,
                r#"{"error":{"message":"Model \"m\" not found. Please specify a valid model","type":"invalid_request_error","param":"model","code":"model_not_found"}}"#,
            ),
            Fault::ModelNotFound => Reply::json(
                404,
                r#"{"error":"model \"q\" not found, try pulling it first"}"#,
            ),
            Fault::ErrorMidStream => {
                let error: &[u8] = if lm {
                    b"data: {\"error\":{\"code\":500,\"message\":\"the model crashed while decoding\",\"type\":\"server_error\"}}\n\n"
                } else {
                    b"{\"error\":\"an error was encountered while running the model\"}\n"
                };
                frames(b, [head, vec![error.to_vec()]].concat())
            }
            Fault::CutMidStream => frames(b, head).with_end(End::Cut),
            // LM Studio's finish and usage chunks arrive; only `[DONE]` is missing.
            Fault::EofWithoutEnd if lm => {
                let mut all = [head, rest].concat();
                all.pop();
                frames(b, all)
            }
            // Ollama ending cleanly after whole lines is its token-repeat abort, a finished
            // answer that looped (tests/suite/ollama_real.rs); a body that ends inside a
            // line is the connection lost.
            Fault::EofWithoutEnd => {
                let torn = b"{\"model\":\"q\",\"message\":{\"role\":\"assis".to_vec();
                frames(b, [head, vec![torn]].concat())
            }
            Fault::EndlessLine => {
                let start: &[u8] = if lm {
                    b"data: {\"choices\":[{\"delta\":{\"content\":\""
                } else {
                    b"{\"message\":{\"content\":\""
                };
                let mut line = start.to_vec();
                line.resize(line.len() + (5 << 20), b'a');
                frames(b, [head, vec![line]].concat())
            }
            Fault::MalformedJson => {
                let bad: &[u8] = if lm {
                    b"data: {\"choices\":[{\"delta\":{\"content\":\"lost\"\n\n"
                } else {
                    b"{\"message\":{\"content\":\"lost\"},\"done\":fal\n"
                };
                frames(b, [head, vec![bad.to_vec()], rest].concat())
            }
            Fault::RedirectOffMachine => Reply::Redirect {
                status: 307,
                location: format!("http://collector.invalid:8080{}?leak=1", chat_path(b)),
            },
            Fault::TerminalEscapes => {
                let all = match b {
                    BackendId::Lmstudio => lmstudio_stream("m", &[HOSTILE], "stop"),
                    BackendId::Ollama => ollama_chat("q", &[HOSTILE], "stop"),
                };
                frames(b, all)
            }
        })
    }

    fn expect(self, b: BackendId) -> Expect {
        let failed = |text: &'static str, words: &[&str], moves: bool| Expect {
            exit: 1,
            text,
            words: words.iter().map(|w| (*w).to_owned()).collect(),
            moves,
        };
        let model = match b {
            BackendId::Lmstudio => "\"m\"",
            BackendId::Ollama => "\"q\"",
        };
        let hint = match b {
            BackendId::Lmstudio => "lms server start",
            BackendId::Ollama => "ollama serve",
        };
        let first_token = format!("sent no answer within {FIRST_TOKEN_SECS} s");
        let idle = format!("went quiet for {IDLE_SECS} s");
        let end_marker = match b {
            BackendId::Lmstudio => "[DONE]",
            BackendId::Ollama => "in the middle of a line",
        };
        match self {
            Fault::Refused => failed("", &["not answering", "connection refused", hint], true),
            Fault::HangBeforeHeaders => {
                failed("", &[&first_token, "first_token_timeout_secs"], true)
            }
            Fault::HangAfterFirstToken => failed(PARTIAL, &[&idle, "idle_timeout_secs"], false),
            Fault::Http500 => failed("", &["answered with an error", "500"], true),
            Fault::Http503 => failed("", &["busy", "503"], true),
            Fault::ModelNotFound => failed(
                "",
                &["does not have the model", model, "codecrucible doctor"],
                false,
            ),
            Fault::ErrorMidStream => failed(PARTIAL, &["reported an error while answering"], false),
            Fault::CutMidStream => failed(PARTIAL, &["stopped in the middle"], false),
            Fault::EofWithoutEnd => failed(PARTIAL, &["stopped in the middle", end_marker], false),
            Fault::EndlessLine => failed(PARTIAL, &["over 4 MiB"], false),
            Fault::MalformedJson => failed(PARTIAL, &["not its protocol"], false),
            // Refused by policy, not unavailable: a configuration matter (exit 2).
            Fault::RedirectOffMachine => Expect {
                exit: 2,
                ..failed(
                    "",
                    &[
                        "redirected the request to http://collector.invalid:8080",
                        "not on this machine",
                        "allow_remote",
                    ],
                    false,
                )
            },
            Fault::TerminalEscapes => Expect {
                exit: 0,
                text: HOSTILE,
                words: Vec::new(),
                moves: false,
            },
        }
    }
}

fn chat_path(b: BackendId) -> &'static str {
    match b {
        BackendId::Lmstudio => "/v1/chat/completions",
        BackendId::Ollama => "/api/chat",
    }
}

/// A server of `b`'s protocol with one model (`m` in LM Studio, `q` in Ollama) that
/// answers `tokens`.
fn healthy(b: BackendId, tokens: &[&str]) -> FakeServer {
    match b {
        BackendId::Lmstudio => fake_lmstudio("m", tokens),
        BackendId::Ollama => fake_ollama(&["q"], tokens),
    }
}

/// A good stream of [`TOKENS`], split after the last token.
fn split(b: BackendId) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (mut all, head_len) = match b {
        // The role chunk, then one chunk per token.
        BackendId::Lmstudio => (lmstudio_stream("m", &TOKENS, "stop"), 1 + TOKENS.len()),
        BackendId::Ollama => (ollama_chat("q", &TOKENS, "stop"), TOKENS.len()),
    };
    let rest = all.split_off(head_len);
    (all, rest)
}

/// `parts` as `b`'s streamed body: SSE or NDJSON, each part a separate write.
fn frames(b: BackendId, parts: Vec<Vec<u8>>) -> Reply {
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    match b {
        BackendId::Lmstudio => Reply::sse(refs),
        BackendId::Ollama => Reply::ndjson(refs),
    }
}

/// A prompt the router sends to `b` first: a format task to the fast server, a debugging
/// task to the quality one.
fn prompt(b: BackendId) -> &'static str {
    match b {
        BackendId::Lmstudio => "reformat this file with rustfmt",
        BackendId::Ollama => "find the race condition in this connection pool",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `--backend NAME` / `Request::backend`: no fallback.
    Forced,
    /// Routed by the prompt, with the other server as the fallback.
    Auto,
    /// `--backend hybrid`: LM Studio drafts, Ollama answers an escalation. A failing LM
    /// Studio drafts under threshold 0 (a complete draft is kept); a failing Ollama gets
    /// every draft under threshold 1 (always escalated).
    Hybrid,
}

const MODES: [Mode; 3] = [Mode::Forced, Mode::Auto, Mode::Hybrid];

/// Where a cell tells the fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Told {
    /// The request failed: the `codecrucible:` line, `RequestError.message`.
    Error,
    /// The other server answered: the `[X unavailable, Y answers instead]` line.
    Fallback,
    /// The escalation failed and the fast draft is the answer: a status line.
    KeptDraft,
    /// Nothing failed.
    Nowhere,
}

/// What one cell must show.
struct Want {
    exit: i32,
    /// The final answer's text: stdout, `Answer.text`, `RequestError.partial.text`.
    text: &'static str,
    /// Who wrote `text`.
    by: BackendId,
    /// The fast draft: on stderr, in `Answer.draft`.
    draft: Option<&'static str>,
    told: Told,
    /// Chat requests the healthy other server gets.
    other_asked: usize,
    /// The assistant messages saved in the session, in order.
    stored: Vec<(&'static str, Status, BackendId)>,
}

impl Want {
    fn of(fault: Fault, b: BackendId, mode: Mode) -> Self {
        let e = fault.expect(b);
        let failed = e.exit != 0;
        let other = b.other();
        // The other server answers in full.
        let moved = Want {
            exit: 0,
            text: OTHER_TEXT,
            by: other,
            draft: None,
            told: Told::Fallback,
            other_asked: 1,
            stored: vec![(OTHER_TEXT, Status::Complete, other)],
        };
        // What arrived stays; the request ends on `b`.
        let stays = Want {
            exit: e.exit,
            text: e.text,
            by: b,
            draft: None,
            told: if failed { Told::Error } else { Told::Nowhere },
            other_asked: 0,
            stored: saved(e.text, failed, b),
        };
        match (mode, b) {
            (Mode::Auto, _) | (Mode::Hybrid, BackendId::Lmstudio) if e.moves => moved,
            (Mode::Forced | Mode::Auto, _) => stays,
            // The draft streams to stderr and reaches stdout only when it is kept as the
            // answer; a draft that fails after its first token is not escalated (only an
            // unavailable server moves).
            (Mode::Hybrid, BackendId::Lmstudio) => Want {
                text: if failed { "" } else { e.text },
                draft: Some(e.text).filter(|t| !t.is_empty()),
                ..stays
            },
            // Nothing arrived from the escalation: the fast draft is the answer.
            (Mode::Hybrid, BackendId::Ollama) if e.text.is_empty() => Want {
                exit: 0,
                text: OTHER_TEXT,
                by: other,
                draft: Some(OTHER_TEXT),
                told: Told::KeptDraft,
                other_asked: 1,
                stored: vec![(OTHER_TEXT, Status::Complete, other)],
            },
            (Mode::Hybrid, BackendId::Ollama) => Want {
                draft: Some(OTHER_TEXT),
                other_asked: 1,
                stored: [
                    vec![(OTHER_TEXT, Status::Draft, other)],
                    stays.stored.clone(),
                ]
                .concat(),
                ..stays
            },
        }
    }
}

/// The answer saved from `text`: none when nothing arrived.
fn saved(text: &'static str, failed: bool, b: BackendId) -> Vec<(&'static str, Status, BackendId)> {
    let status = if failed {
        Status::Partial
    } else {
        Status::Complete
    };
    if text.is_empty() {
        Vec::new()
    } else {
        vec![(text, status, b)]
    }
}

/// One cell's servers: the failing one and a healthy one of the other protocol.
struct Servers {
    faulty_url: String,
    faulty: Option<FakeServer>,
    other: FakeServer,
}

impl Servers {
    fn start(fault: Fault, b: BackendId) -> Self {
        let (faulty_url, faulty) = fault.server(b);
        Self {
            faulty_url,
            faulty,
            other: healthy(b.other(), &OTHER),
        }
    }

    fn urls(&self, b: BackendId) -> (String, String) {
        match b {
            BackendId::Lmstudio => (self.faulty_url.clone(), self.other.url()),
            BackendId::Ollama => (self.other.url(), self.faulty_url.clone()),
        }
    }

    /// Checks what the servers were asked: the other one as wanted, and a busy one
    /// three times more than once.
    fn check(&self, r: &mut Report, fault: Fault, b: BackendId, want: &Want) {
        let asked = self.other.requests_to(chat_path(b.other())).len();
        r.check(asked == want.other_asked, || {
            format!("the other server was asked {asked} times")
        });
        if fault == Fault::Http503 {
            let tries = self
                .faulty
                .as_ref()
                .map_or(0, |s| s.requests_to(chat_path(b)).len());
            r.check(tries == 4, || {
                format!("503 tried {tries} times, expected 1 + 3 retries")
            });
        }
    }
}

/// The escalation threshold that gives `Mode::Hybrid` its meaning for a failing `b`.
fn threshold(b: BackendId) -> f64 {
    match b {
        BackendId::Lmstudio => 0.0,
        BackendId::Ollama => 1.0,
    }
}

/// Collects what a cell got wrong, each line naming the cell.
struct Report {
    cell: String,
    problems: Vec<String>,
}

impl Report {
    fn new(front: &str, mode: Mode, b: BackendId) -> Self {
        Self {
            cell: format!("{front} {mode:?} {}", b.as_str()),
            problems: Vec::new(),
        }
    }

    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.problems.push(format!("[{}] {}", self.cell, what()));
        }
    }
}

/// Runs every cell of `fault`'s row at once and fails with every cell that went wrong.
fn row(fault: Fault) {
    let problems: Vec<String> = std::thread::scope(|s| {
        let mut jobs = Vec::new();
        for b in BACKENDS {
            for mode in MODES {
                jobs.push(s.spawn(move || cli_cell(fault, b, mode)));
            }
        }
        jobs.push(s.spawn(move || library_row(fault)));
        jobs.into_iter()
            .flat_map(|j| j.join().expect("a cell's checks do not panic"))
            .collect()
    });
    assert!(problems.is_empty(), "{fault:?}:\n{}", problems.join("\n"));
}

// ---- the CLI ----

fn write_test_config(dir: &Path, lm: &str, ol: &str, threshold: f64) {
    let section = |name: &str, url: &str| {
        format!(
            "[hybrid.{name}]\nendpoint = \"{url}\"\nfirst_token_timeout_secs = {FIRST_TOKEN_SECS}\n\
             idle_timeout_secs = {IDLE_SECS}\n\n"
        )
    };
    let text = format!(
        "[hybrid.routing]\nescalation_threshold = {threshold:.1}\n\n{}{}",
        section("lm_studio", lm),
        section("ollama", ol)
    );
    std::fs::write(dir.join("config.toml"), text).expect("write config");
}

/// The messages of the run's session.
fn stored_messages(dir: &Path) -> Vec<StoredMessage> {
    let Ok(store) = Store::open(&dir.join("data/history.db")) else {
        return Vec::new();
    };
    let Some(id) = store
        .list_sessions(1)
        .ok()
        .and_then(|l| l.first().map(|s| s.id))
    else {
        return Vec::new();
    };
    store
        .session(id)
        .ok()
        .flatten()
        .map(|(_, m)| m)
        .unwrap_or_default()
}

fn cli_cell(fault: Fault, b: BackendId, mode: Mode) -> Vec<String> {
    let mut r = Report::new("cli", mode, b);
    let want = Want::of(fault, b, mode);
    let servers = Servers::start(fault, b);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (lm, ol) = servers.urls(b);
    write_test_config(dir.path(), &lm, &ol, threshold(b));
    let mut cmd = support::cli(dir.path());
    cmd.timeout(RUN_LIMIT).args(["-p", prompt(b)]);
    match mode {
        Mode::Forced => cmd.args(["--backend", b.as_str()]),
        Mode::Auto => &mut cmd,
        Mode::Hybrid => cmd.args(["--backend", "hybrid"]),
    };
    let out = cmd.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    r.check(!stderr.contains("panicked"), || {
        format!("panicked: {stderr}")
    });
    r.check(out.status.code() == Some(want.exit), || {
        format!(
            "exit {:?}, expected {}; stderr: {stderr}",
            out.status.code(),
            want.exit
        )
    });
    let shown = if want.text.is_empty() {
        String::new()
    } else {
        format!("{}\n", want.text)
    };
    r.check(stdout == shown, || {
        format!("stdout {stdout:?}, expected {shown:?}")
    });
    check_stderr(&mut r, &stderr, fault, b, mode, &want);
    check_store(&mut r, stored_messages(dir.path()), &want);
    servers.check(&mut r, fault, b, &want);
    r.problems
}

/// Stderr holds the draft (on lines of its own), `[status]` lines, and at most one line
/// that tells the fault: one sentence naming the server.
fn check_stderr(r: &mut Report, stderr: &str, fault: Fault, b: BackendId, mode: Mode, want: &Want) {
    let mut rest = stderr.to_owned();
    if let Some(draft) = want.draft {
        let line = format!("{draft}\n");
        r.check(rest.contains(&line), || {
            format!("the draft is not on a line of its own: {stderr:?}")
        });
        rest = rest.replacen(&line, "", 1);
    }
    for line in rest.lines() {
        r.check(
            line.starts_with('[') || line.starts_with("codecrucible: "),
            || format!("stray stderr line {line:?} in {stderr:?}"),
        );
    }
    let fallback = format!(
        "[{} unavailable, {} answers instead]",
        b.label(),
        b.other().label()
    );
    let lines =
        |prefix: &str| -> Vec<&str> { rest.lines().filter(|l| l.starts_with(prefix)).collect() };
    let told = [
        (Told::Error, lines("codecrucible: ")),
        (Told::Fallback, lines(&fallback)),
        (Told::KeptDraft, lines("[escalation failed (")),
    ];
    for (how, found) in &told {
        r.check(found.len() == usize::from(want.told == *how), || {
            format!("{how:?} lines {found:?} in {stderr:?}")
        });
    }
    let Some(sentence) = told
        .iter()
        .find(|(how, _)| *how == want.told)
        .and_then(|(_, found)| found.first())
    else {
        return;
    };
    check_sentence(r, sentence, fault, b);
    let e = fault.expect(b);
    if mode == Mode::Forced && e.moves {
        // A forced run says how to let the other server answer.
        r.check(sentence.contains("--backend auto"), || {
            format!("no way out in {sentence:?}")
        });
    }
    if want.told == Told::Error && !want.text.is_empty() {
        r.check(sentence.contains("partial answer is kept"), || {
            format!("the kept text is not mentioned: {sentence:?}")
        });
    }
    if want.told == Told::KeptDraft {
        r.check(sentence.contains("keeping the fast draft"), || {
            format!("{sentence:?} does not say the draft is kept")
        });
    }
}

/// One sentence about `fault` that names the server and is no debug dump.
fn check_sentence(r: &mut Report, sentence: &str, fault: Fault, b: BackendId) {
    r.check(sentence.contains(b.label()), || {
        format!("{sentence:?} does not name {}", b.label())
    });
    for w in &fault.expect(b).words {
        r.check(sentence.contains(w.as_str()), || {
            format!("{sentence:?} lacks {w:?}")
        });
    }
    // No debug dump, no error chain, no second line, no stretch of source indentation.
    for dump in [
        "Error {",
        "kind:",
        "Caused by",
        "BackendError",
        "reqwest::",
        "\n",
        "  ",
    ] {
        r.check(!sentence.contains(dump), || {
            format!("{sentence:?} holds {dump:?}")
        });
    }
    r.check(!sentence.contains("leak"), || {
        format!("{sentence:?} repeats the redirect's path")
    });
}

/// The session holds the answers as wanted: complete, drafts, or partial with the text that
/// arrived; none when no text did.
fn check_store(r: &mut Report, msgs: Vec<StoredMessage>, want: &Want) {
    r.check(msgs.first().is_some_and(|m| m.role == "user"), || {
        format!("the prompt was not saved: {msgs:?}")
    });
    let answers: Vec<(&str, Status, Option<&str>)> = msgs
        .iter()
        .filter(|m| m.role == "assistant")
        .map(|m| (m.content.as_str(), m.status, m.backend.as_deref()))
        .collect();
    let wanted: Vec<(&str, Status, Option<&str>)> = want
        .stored
        .iter()
        .map(|(text, status, b)| (*text, *status, Some(b.as_str())))
        .collect();
    r.check(answers == wanted, || {
        format!("saved {answers:?}, expected {wanted:?}")
    });
}

// ---- the library ----

fn library_config(lm: &str, ol: &str, threshold: f64) -> Config {
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoint = lm.into();
    c.hybrid.ollama.endpoint = ol.into();
    for b in [&mut c.hybrid.lm_studio, &mut c.hybrid.ollama] {
        b.first_token_timeout_secs = FIRST_TOKEN_SECS;
        b.idle_timeout_secs = IDLE_SECS;
    }
    c.hybrid.routing.escalation_threshold = threshold;
    c
}

/// The row's `HybridClient` cells, at once on one runtime.
fn library_row(fault: Fault) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let cells = BACKENDS.into_iter().flat_map(|b| {
            MODES
                .into_iter()
                .map(move |mode| library_cell(fault, b, mode))
        });
        futures_util::future::join_all(cells)
            .await
            .into_iter()
            .flatten()
            .collect()
    })
}

async fn library_cell(fault: Fault, b: BackendId, mode: Mode) -> Vec<String> {
    let mut r = Report::new("library", mode, b);
    let want = Want::of(fault, b, mode);
    let servers = Servers::start(fault, b);
    let (lm, ol) = servers.urls(b);
    let store = Arc::new(Store::in_memory().expect("a store in memory"));
    let config = library_config(&lm, &ol, threshold(b));
    let client = HybridClient::with_store(config, Arc::clone(&store));
    let mut req = Request::new(prompt(b));
    match mode {
        Mode::Forced => req = req.backend(b),
        Mode::Auto => {}
        Mode::Hybrid => req.route = RouteMode::Hybrid,
    }
    let Ok(result) = tokio::time::timeout(RUN_LIMIT, client.ask(req)).await else {
        r.check(false, || "the request never ended".into());
        return r.problems;
    };
    let session = match &result {
        Ok(answer) => answer.session,
        Err(e) => e.partial.session,
    };
    let saved = session.and_then(|id| store.session(id).ok().flatten());
    check_store(&mut r, saved.map(|(_, m)| m).unwrap_or_default(), &want);
    match result {
        Ok(answer) => {
            let ok = want.exit == 0
                && answer.text == want.text
                && answer.backend == Some(want.by)
                && answer.fell_back == (want.told == Told::Fallback)
                && answer.draft.as_deref() == want.draft;
            r.check(ok, || format!("got {answer:?}"));
        }
        Err(e) => {
            r.check(want.exit != 0, || format!("expected an answer, got {e:?}"));
            check_sentence(&mut r, &e.message, fault, b);
            let p = &e.partial;
            let ok = p.text == want.text && p.draft.as_deref() == want.draft && !p.fell_back;
            r.check(ok, || {
                format!(
                    "partial {p:?}, expected text {:?} and draft {:?}",
                    want.text, want.draft
                )
            });
        }
    }
    servers.check(&mut r, fault, b, &want);
    r.problems
}

// ---- the rows ----

#[test]
fn refused() {
    row(Fault::Refused);
}

#[test]
fn hang_before_headers() {
    row(Fault::HangBeforeHeaders);
}

#[test]
fn hang_after_the_first_token() {
    row(Fault::HangAfterFirstToken);
}

#[test]
fn http_500() {
    row(Fault::Http500);
}

#[test]
fn http_503_after_the_retries() {
    row(Fault::Http503);
}

#[test]
fn model_not_found() {
    row(Fault::ModelNotFound);
}

#[test]
fn an_error_mid_stream() {
    row(Fault::ErrorMidStream);
}

#[test]
fn a_cut_mid_stream() {
    row(Fault::CutMidStream);
}

#[test]
fn eof_without_the_end_marker() {
    row(Fault::EofWithoutEnd);
}

#[test]
fn an_endless_line() {
    row(Fault::EndlessLine);
}

#[test]
fn malformed_json() {
    row(Fault::MalformedJson);
}

#[test]
fn a_redirect_off_the_machine() {
    row(Fault::RedirectOffMachine);
}

#[test]
fn terminal_escapes_stay_byte_exact_when_piped() {
    row(Fault::TerminalEscapes);
}
