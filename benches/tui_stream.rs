//! The TUI under a fast stream: a scripted server sends 5,000 tokens a second of a
//! code-heavy answer (Rust, Python and TypeScript blocks with prose between) for about
//! five seconds, and the app's own loop (`tui::event_loop::run`, the one the binary
//! runs) takes them in and draws. Targets: p99 frame time ≤ 16.7 ms, at most 60 frames a second, and the app's
//! own CPU time under 50% of one core over the run.
//!
//! The producer thread plays the server: one `Delta` event per token (≈ 4 characters),
//! sent in bursts every 1–2 ms on a schedule that keeps the average rate exact. The
//! consumer is the app's loop on a tokio current-thread runtime: it waits for an event or
//! the next frame deadline, drains everything queued, hands it to `App::on_engine` (which
//! splits out and highlights the code), ticks the highlighter when it asks, and draws at
//! most once per frame interval and only when something changed; a probe records frames,
//! wake-ups and the time in `on_engine`. Frames go through
//! `CrosstermBackend<io::Sink>`: the escape sequences are generated and discarded.
//!
//! CPU is read with `getrusage(RUSAGE_THREAD)` on the consumer thread (the app's work;
//! the producer stands in for the server and is excluded) and, for reference,
//! `getrusage(RUSAGE_SELF)` for the whole process.
//!
//! Two runs, each with a fresh app: the loop with every language highlighted for the
//! first time in the process (a fresh app's first answer; the line the targets are judged
//! on), then the same with the syntaxes warm. Then where the time
//! goes: highlighting per language, and the chat pane's layout of the whole answer.
//! `cargo bench --bench tui_stream -- 80x24` runs at 80×24 instead of 120×40.

use std::io;
use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::engine::{Command, EngineHandle, Event, EventKind};
use codecrucible::router;
use codecrucible::tui::event_loop::{self, Probe};
use codecrucible::tui::highlight::{self, BlockHighlighter};
use codecrucible::tui::{markdown, App, Options};
use codecrucible::voice::Voices;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::mpsc::{self, Receiver, Sender};
use tokio::time::Instant;

/// Tokens a second the scripted server sends.
const RATE: f64 = 5000.0;
/// How long it sends for.
const SECONDS: f64 = 5.0;
const TARGET_FRAME_MS: f64 = 16.7;
const TARGET_FPS: f64 = 60.0;
const TARGET_CPU: f64 = 50.0;

type Term = Terminal<CrosstermBackend<io::Sink>>;

fn main() {
    let (w, h) = if std::env::args().any(|a| a == "80x24") {
        (80, 24)
    } else {
        (120, 40)
    };
    assert!(
        highlight::wait_ready(Duration::from_secs(60)),
        "the syntaxes did not load"
    );
    // The loader thread may go on after `wait_ready`; let it finish so the
    // whole-process CPU figure is the run's alone.
    wait_for_thread_exit("syntax-load", Duration::from_secs(10));

    let tokens = tokenize(&answer((RATE * SECONDS) as usize * 4 + 4096));
    let tokens = tokens[..((RATE * SECONDS) as usize).min(tokens.len())].to_vec();

    // First with every language used for the first time in this process (a fresh app's
    // first answer); then, the syntaxes warm, the same again.
    let (app, first) = stream(w, h, &tokens);
    first.print_target(w, h);
    first.print_details();
    let (_, warm) = stream(w, h, &tokens);
    warm.print_short("the same stream again, syntaxes warm");
    breakdown(&app, w, &answer_text(&app));
}

/// One run's measurements.
struct Outcome {
    run: Run,
    tokens: usize,
    bytes: usize,
    blocks: usize,
    code_lines: usize,
    sent_for: Duration,
    wall: Duration,
    /// CPU time of the app's thread, of the whole process, and of the producer.
    thread_cpu: Duration,
    self_cpu: Duration,
    producer_cpu: Duration,
}

/// Streams `tokens` into a fresh app whose loop paces frames as the real one does.
fn stream(w: u16, h: u16, tokens: &[String]) -> (App, Outcome) {
    let mut app = App::new(Options {
        voices: Voices::builtin().list().to_vec(),
        voice: None,
        store: None,
        session: None,
        max_concurrent: codecrucible::PerBackend::new(2, 1),
        mouse: false,
        themes: Vec::new(),
        theme: None,
        keymap: Default::default(),
        workspace: None,
    });
    let prompt =
        "Port the tokenizer to Python and TypeScript and show the Rust original, with tests";
    app.submit(prompt.to_owned(), false);
    let id = app
        .outgoing
        .drain(..)
        .find_map(|c| match c {
            Command::Submit(s) => Some(s.id),
            _ => None,
        })
        .expect("a request was sent");
    let mut term = Terminal::with_options(
        CrosstermBackend::new(io::sink()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
        },
    )
    .expect("terminal");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    // Bounded as the engine's own channel is: a lagging app holds the producer up.
    let (tx, rx) = mpsc::channel(1024);
    let to_send = tokens.to_vec();
    let self_before = rusage(libc::RUSAGE_SELF);
    let thread_before = rusage(libc::RUSAGE_THREAD);
    let start = Instant::now();
    let producer = std::thread::spawn(move || produce(tx, id, prompt, to_send));
    let run = rt.block_on(consume(&mut app, &mut term, rx));
    let wall = start.elapsed();
    let thread_cpu = rusage(libc::RUSAGE_THREAD) - thread_before;
    let self_cpu = rusage(libc::RUSAGE_SELF) - self_before;
    let (sent_for, producer_cpu) = producer.join().expect("producer");

    assert!(app.running.is_none(), "the answer finished");
    assert!(!app.code.needs_catch_up(), "every code line highlighted");
    let outcome = Outcome {
        run,
        tokens: tokens.len(),
        bytes: tokens.iter().map(String::len).sum(),
        blocks: app.code.blocks.len(),
        code_lines: app.code.blocks.iter().map(|b| b.lines()).sum(),
        sent_for,
        wall,
        thread_cpu,
        self_cpu,
        producer_cpu,
    };
    (app, outcome)
}

impl Outcome {
    fn percent_of_core(&self, cpu: Duration) -> f64 {
        100.0 * cpu.as_secs_f64() / self.wall.as_secs_f64()
    }

    /// Frames a second over the span from the first frame to the last.
    fn fps(&self) -> f64 {
        let d = &self.run.draws;
        match (d.first(), d.last()) {
            (Some(a), Some(b)) if d.len() > 1 => {
                (d.len() - 1) as f64 / b.duration_since(*a).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// Median, p99 and max frame time in ms.
    fn frame_stats(&self) -> (f64, f64, f64) {
        let mut t = self.run.frame_ms.clone();
        t.sort_by(f64::total_cmp);
        let at = |q: f64| t[((t.len() as f64 * q) as usize).min(t.len() - 1)];
        (at(0.5), at(0.99), t[t.len() - 1])
    }

    fn print_target(&self, w: u16, h: u16) {
        let frames = self.run.draws.len();
        let fps = self.fps();
        let peak = max_in_window(&self.run.draws, Duration::from_secs(1));
        let (_, p99, _) = self.frame_stats();
        let cpu = self.percent_of_core(self.thread_cpu);
        let ok = |good: bool| if good { "" } else { "  MISSED" };
        println!(
            "stream {RATE:.0} tok/s, {:.1} s at {w}x{h}: frames {frames} ({fps:.1}/s, cap {TARGET_FPS:.0}){}  frame p99 {p99:.2} ms (target ≤ {TARGET_FRAME_MS}){}  app CPU {cpu:.1}% of a core (target < {TARGET_CPU:.0}%){}",
            self.sent_for.as_secs_f64(),
            ok(fps <= TARGET_FPS && peak as f64 <= TARGET_FPS),
            ok(p99 <= TARGET_FRAME_MS),
            ok(cpu < TARGET_CPU),
        );
    }

    fn print_details(&self) {
        let r = &self.run;
        let (median, _, max) = self.frame_stats();
        let peak = max_in_window(&r.draws, Duration::from_secs(1));
        let min_gap = r
            .draws
            .windows(2)
            .map(|p| p[1].duration_since(p[0]))
            .min()
            .unwrap_or_default();
        println!(
            "    frame median {median:.2} ms  max {max:.2} ms; most frames in any 1 s {peak}; shortest gap {:.2} ms",
            ms(min_gap)
        );
        println!(
            "    {} tokens ({} KB, {} code blocks, {} code lines highlighted) in {} events, handled in {} wake-ups; on_engine {:.0} ms, drawing {:.0} ms, catch-up ticks {}",
            self.tokens,
            self.bytes / 1024,
            self.blocks,
            self.code_lines,
            r.events,
            r.wakeups,
            ms(r.handling),
            r.frame_ms.iter().sum::<f64>(),
            r.ticks,
        );
        println!(
            "    whole process {:.1}% of a core; without the producer (the app with its helper threads, e.g. syntax loading) {:.1}%; wall {:.2} s",
            self.percent_of_core(self.self_cpu),
            self.percent_of_core(self.self_cpu.saturating_sub(self.producer_cpu)),
            self.wall.as_secs_f64()
        );
    }

    fn print_short(&self, label: &str) {
        let (median, p99, _) = self.frame_stats();
        println!(
            "  {label}: frames {} ({:.1}/s)  frame median {median:.2} ms  p99 {p99:.2} ms  app CPU {:.1}% of a core ({:.1}% with helper threads); {} wake-ups, on_engine {:.0} ms, drawing {:.0} ms",
            self.run.draws.len(),
            self.fps(),
            self.percent_of_core(self.thread_cpu),
            self.percent_of_core(self.self_cpu.saturating_sub(self.producer_cpu)),
            self.run.wakeups,
            ms(self.run.handling),
            self.run.frame_ms.iter().sum::<f64>(),
        );
    }
}

/// Where the app's time goes, measured apart from the loop: highlighting each block's
/// lines (as `on_engine` does, fed token by token), and laying out the whole answer in
/// the chat pane (as each frame does while it streams).
fn breakdown(app: &App, w: u16, answer: &str) {
    let mut per_lang: Vec<(String, usize, Duration)> = Vec::new();
    for b in &app.code.blocks {
        let lang = b.lang.clone().unwrap_or_default();
        let mut h = BlockHighlighter::new(Some(&lang));
        let t = Instant::now();
        for token in tokenize(&b.text) {
            h.push(&token);
        }
        h.finish();
        while h.catch_up() {}
        let took = t.elapsed();
        match per_lang.iter_mut().find(|(l, _, _)| *l == lang) {
            Some(e) => {
                e.1 += h.len();
                e.2 += took;
            }
            None => per_lang.push((lang, h.len(), took)),
        }
    }
    let total: Duration = per_lang.iter().map(|e| e.2).sum();
    let parts: Vec<String> = per_lang
        .iter()
        .map(|(l, n, d)| {
            format!(
                "{l} {:.0} µs/line ({n} lines, {:.0} ms)",
                d.as_secs_f64() * 1e6 / *n as f64,
                ms(*d)
            )
        })
        .collect();
    println!(
        "    highlighting alone, again: {:.0} ms — {}",
        ms(total),
        parts.join(", ")
    );
    // The chat pane's inner width as `ui::draw` lays it out.
    let width = if w >= 110 {
        let [left, _] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(Rect::new(0, 0, w, 1));
        left.width - 2
    } else {
        w - 2
    };
    let mut layout: Vec<f64> = (0..20)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(markdown::render(answer, width, &app.theme.markdown));
            ms(t.elapsed())
        })
        .collect();
    layout.sort_by(f64::total_cmp);
    println!(
        "    laying out the whole {} KB answer for the chat pane (done on every frame while it streams): {:.2} ms at the end of the run",
        answer.len() / 1024,
        layout[layout.len() / 2]
    );
}

fn answer_text(app: &App) -> String {
    app.entries.last().map_or(String::new(), |e| e.text.clone())
}

// ---- the app's side ------------------------------------------------------------------

#[derive(Default)]
struct Run {
    /// When each frame was drawn.
    draws: Vec<Instant>,
    /// How long each took, in ms.
    frame_ms: Vec<f64>,
    events: usize,
    wakeups: usize,
    ticks: usize,
    /// Time in `App::on_engine`.
    handling: Duration,
}

impl Probe for Run {
    fn frame(&mut self, at: Instant, took: Duration) {
        self.draws.push(at);
        self.frame_ms.push(ms(took));
    }

    fn woke(&mut self) {
        self.wakeups += 1;
    }

    fn ticked(&mut self) {
        self.ticks += 1;
    }

    fn engine_event(&mut self, took: Duration) {
        self.handling += took;
        self.events += 1;
    }
}

/// The app's own loop, until the stream has ended and the last change is on screen; no
/// terminal events, and the commands it sends go nowhere.
async fn consume(app: &mut App, term: &mut Term, rx: Receiver<Event>) -> Run {
    let mut run = Run::default();
    let (commands, _sent) = mpsc::unbounded_channel();
    let mut engine = EngineHandle {
        commands,
        events: rx,
    };
    let keys = futures_util::stream::pending::<std::io::Result<crossterm::event::Event>>();
    event_loop::run(term, app, &mut engine, keys, &mut run)
        .await
        .expect("the loop ran");
    run
}

// ---- the server's side ---------------------------------------------------------------

/// Sends the request's events: the route and model, then the tokens at `RATE` in bursts
/// every 1–2 ms, then `Done`. Returns how long the tokens took to send and the CPU time
/// this thread used.
fn produce(tx: Sender<Event>, id: u64, prompt: &str, tokens: Vec<String>) -> (Duration, Duration) {
    let cpu = rusage(libc::RUSAGE_THREAD);
    let send = |kind: EventKind| {
        let _ = tx.blocking_send(Event { id, kind });
    };
    let analysis = router::analyze(prompt, &[]);
    let routing = codecrucible::config::Config::default().hybrid.routing;
    let decision = router::decide(&analysis, None, &routing, &router::Signals::default());
    send(EventKind::Route {
        decision,
        backend: BackendId::Lmstudio,
        fallback: Some(BackendId::Ollama),
        features: analysis.features.clone(),
    });
    send(EventKind::Model {
        backend: BackendId::Lmstudio,
        model: "qwen2.5-coder-7b-instruct".into(),
        reason: "loaded".into(),
    });
    let n = tokens.len();
    let mut tokens = tokens.into_iter();
    let start = std::time::Instant::now();
    let mut sent = 0;
    let mut burst = 0u32;
    while sent < n {
        let due = ((start.elapsed().as_secs_f64() * RATE) as usize).clamp(sent + 1, n);
        for text in tokens.by_ref().take(due - sent) {
            send(EventKind::Delta {
                backend: BackendId::Lmstudio,
                text,
                draft: false,
            });
        }
        sent = due;
        burst += 1;
        std::thread::sleep(Duration::from_micros(if burst % 3 == 0 {
            2000
        } else {
            1000
        }));
    }
    let took = start.elapsed();
    send(EventKind::Done {
        backend: BackendId::Lmstudio,
        model: "qwen2.5-coder-7b-instruct".into(),
        ttft_ms: Some(150.0),
        total_ms: took.as_secs_f64() * 1000.0,
        input_tokens: Some(400),
        output_tokens: Some(n as u64),
        tokens_per_second: Some(RATE),
        finish_reason: Some("stop".into()),
        cached: false,
        cached_tokens: None,
        endpoint: None,
    });
    (took, rusage(libc::RUSAGE_THREAD) - cpu)
}

/// A code-heavy answer of at least `bytes`: prose, then Rust, Python and TypeScript
/// blocks in turn with prose between.
fn answer(bytes: usize) -> String {
    const PROSE: &[&str] = &[
        "Here is the **tokenizer** first. It walks the input once and keeps a `Span` for every token, so the parser can point at the exact column of an error.\n\n",
        "The Python port keeps the same structure; `dataclass` gives us equality for free, which the tests below rely on.\n\n- one class per token kind\n- errors carry the offset\n- no regular expressions, so it stays linear\n\n",
        "And the TypeScript version, with a discriminated union instead of an enum. Run it with `npx tsx lexer.ts`.\n\n",
        "A few notes before the next part:\n\n1. numbers may have a fraction but no exponent yet;\n2. identifiers are ASCII only;\n3. the error type is shared by all three ports.\n\n",
    ];
    let rust = |k: usize| {
        format!(
            r#"```rust
use std::iter::Peekable;
use std::str::CharIndices;

#[derive(Debug, Clone, PartialEq)]
pub enum Token{k} {{
    Num(f64),
    Ident(String),
    Op(char),
    LParen,
    RParen,
}}

pub struct Lexer{k}<'a> {{
    src: &'a str,
    chars: Peekable<CharIndices<'a>>,
}}

impl<'a> Lexer{k}<'a> {{
    pub fn new(src: &'a str) -> Self {{
        Self {{ src, chars: src.char_indices().peekable() }}
    }}

    /// The next token, or `None` at the end of the input.
    pub fn next_token(&mut self) -> Option<Result<(Token{k}, usize), LexError>> {{
        while let Some(&(i, c)) = self.chars.peek() {{
            if c.is_whitespace() {{
                self.chars.next();
                continue;
            }}
            return Some(match c {{
                '0'..='9' | '.' => self.number(i),
                'a'..='z' | 'A'..='Z' | '_' => Ok((self.ident(i), i)),
                '+' | '-' | '*' | '/' | '^' => {{
                    self.chars.next();
                    Ok((Token{k}::Op(c), i))
                }}
                '(' => {{ self.chars.next(); Ok((Token{k}::LParen, i)) }}
                ')' => {{ self.chars.next(); Ok((Token{k}::RParen, i)) }}
                other => Err(LexError::Unexpected(other, i)),
            }});
        }}
        None
    }}

    fn number(&mut self, start: usize) -> Result<(Token{k}, usize), LexError> {{
        let mut end = start;
        while let Some(&(i, c)) = self.chars.peek() {{
            if !(c.is_ascii_digit() || c == '.') {{
                break;
            }}
            end = i + c.len_utf8();
            self.chars.next();
        }}
        let text = &self.src[start..end];
        text.parse::<f64>()
            .map(|n| (Token{k}::Num(n), start))
            .map_err(|_| LexError::BadNumber(text.to_owned(), start))
    }}

    fn ident(&mut self, start: usize) -> Token{k} {{
        let mut end = start;
        while let Some(&(i, c)) = self.chars.peek() {{
            if !(c.is_ascii_alphanumeric() || c == '_') {{
                break;
            }}
            end = i + 1;
            self.chars.next();
        }}
        Token{k}::Ident(self.src[start..end].to_string()) // {k}
    }}
}}

#[cfg(test)]
mod tests{k} {{
    use super::*;

    #[test]
    fn lexes_an_expression() {{
        let mut l = Lexer{k}::new("1 + foo * (2.5 - x)");
        let mut out = Vec::new();
        while let Some(t) = l.next_token() {{
            out.push(t.unwrap().0);
        }}
        assert_eq!(out.len(), 9);
        assert_eq!(out[0], Token{k}::Num(1.0));
    }}
}}
```

"#
        )
    };
    let python = |k: usize| {
        format!(
            r#"```python
from dataclasses import dataclass
from typing import Iterator, Union


@dataclass(frozen=True)
class Num{k}:
    value: float
    offset: int


@dataclass(frozen=True)
class Op{k}:
    symbol: str
    offset: int


Token{k} = Union[Num{k}, Op{k}]


class LexError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{{message}} at {{offset}}")
        self.offset = offset


def tokenize_{k}(src: str) -> Iterator[Token{k}]:
    """Yields the tokens of `src` in order; raises LexError on a bad character."""
    i = 0
    while i < len(src):
        c = src[i]
        if c.isspace():
            i += 1
        elif c.isdigit() or c == ".":
            start = i
            while i < len(src) and (src[i].isdigit() or src[i] == "."):
                i += 1
            try:
                yield Num{k}(float(src[start:i]), start)
            except ValueError:
                raise LexError(f"bad number {{src[start:i]!r}}", start)
        elif c in "+-*/^()":
            yield Op{k}(c, i)
            i += 1
        else:
            raise LexError(f"unexpected {{c!r}}", i)


def test_tokenize_{k}() -> None:
    tokens = list(tokenize_{k}("1 + 2.5 * (3 - 4)"))
    assert tokens[0] == Num{k}(1.0, 0)
    assert [t.symbol for t in tokens if isinstance(t, Op{k})] == ["+", "*", "(", "-", ")"]
```

"#
        )
    };
    let typescript = |k: usize| {
        format!(
            r#"```typescript
export type Token{k} =
  | {{ kind: "num"; value: number; offset: number }}
  | {{ kind: "op"; symbol: string; offset: number }}
  | {{ kind: "ident"; name: string; offset: number }};

export class LexError extends Error {{
  constructor(message: string, public readonly offset: number) {{
    super(`${{message}} at ${{offset}}`);
  }}
}}

const OPS = new Set(["+", "-", "*", "/", "^", "(", ")"]);

export function* tokenize{k}(src: string): Generator<Token{k}> {{
  let i = 0;
  while (i < src.length) {{
    const c = src[i];
    if (/\s/.test(c)) {{
      i++;
    }} else if (/[0-9.]/.test(c)) {{
      const start = i;
      while (i < src.length && /[0-9.]/.test(src[i])) i++;
      const value = Number(src.slice(start, i));
      if (Number.isNaN(value)) throw new LexError("bad number", start);
      yield {{ kind: "num", value, offset: start }};
    }} else if (/[A-Za-z_]/.test(c)) {{
      const start = i;
      while (i < src.length && /\w/.test(src[i])) i++;
      yield {{ kind: "ident", name: src.slice(start, i), offset: start }};
    }} else if (OPS.has(c)) {{
      yield {{ kind: "op", symbol: c, offset: i++ }};
    }} else {{
      throw new LexError(`unexpected ${{JSON.stringify(c)}}`, i);
    }}
  }}
}}

// {k}: [...tokenize{k}("a * (b + 2)")].length === 7
```

"#
        )
    };
    let mut out = String::new();
    let mut k = 0;
    while out.len() < bytes {
        out.push_str(PROSE[k % PROSE.len()]);
        out.push_str(&match k % 3 {
            0 => rust(k),
            1 => python(k),
            _ => typescript(k),
        });
        k += 1;
    }
    out
}

/// Tokens of 1–7 characters (4 on average), cut deterministically.
fn tokenize(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::with_capacity(chars.len() / 4 + 1);
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut at = 0;
    while at < chars.len() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = 1 + (state % 7) as usize;
        let end = (at + n).min(chars.len());
        out.push(chars[at..end].iter().collect());
        at = end;
    }
    out
}

// ---- measuring -----------------------------------------------------------------------

/// User plus system CPU time of `who` (`RUSAGE_SELF` or `RUSAGE_THREAD`).
fn rusage(who: libc::c_int) -> Duration {
    // SAFETY: getrusage only writes the struct we hand it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Waits until no thread of this process has the name `name` (Linux), or `timeout`.
fn wait_for_thread_exit(name: &str, timeout: Duration) {
    let deadline = std::time::Instant::now() + timeout;
    let running = || {
        std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| {
            tasks.flatten().any(|t| {
                std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name)
            })
        })
    };
    while running() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The most instants that fall within any `window`.
fn max_in_window(at: &[Instant], window: Duration) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..at.len() {
        while at[hi].duration_since(at[lo]) >= window {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
