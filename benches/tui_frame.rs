//! One TUI frame under load: 1,000 finished messages of markdown history and an answer
//! streaming a 500-line Rust code block (highlighted in the code pane), drawn through
//! ratatui's `TestBackend`. Target (from the issue): p99 ≤ 4 ms at 120×40.
//!
//! Before each measured frame one more token (a few characters, sometimes a newline) is
//! fed to the app as an engine `Delta`, so the streaming message is laid out again every
//! frame as in real use; only `terminal.draw(..)` (layout, widgets and the buffer diff) is
//! timed. Variants: following the stream, scrolled up into the history (PageUp) while it
//! streams, and idle (nothing changed, a forced draw). Each variant starts from a freshly
//! built app; the syntaxes are loaded before anything is measured.

use std::time::{Duration, Instant};

use codecrucible::backend::{BackendId, ModelInfo};
use codecrucible::engine::{Command, Event, EventKind};
use codecrucible::resources::{
    BackendResources, GpuDevice, GpuSource, GpuStatus, HostLoad, MachineReading, ResourceStatus,
};
use codecrucible::router;
use codecrucible::tui::{highlight, markdown, ui, App, Options};
use codecrucible::voice::Voices;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Terminal;

const HISTORY: usize = 1000;
const CODE_LINES: usize = 500;
const WARMUP: usize = 50;
const FRAMES: usize = 2000;
const TARGET_MS: f64 = 4.0;
/// PageUp presses for the scrolled variant (10 lines each): past the streaming answer,
/// into the finished history.
const PAGE_UPS: usize = 80;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Streaming,
    Scrolled,
    Idle,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Streaming => "streaming",
            Variant::Scrolled => "scrolled up",
            Variant::Idle => "idle",
        }
    }
}

fn main() {
    assert!(
        highlight::wait_ready(Duration::from_secs(60)),
        "the syntaxes did not load"
    );
    let corpus = Corpus::new();
    println!(
        "tui_frame: {HISTORY} messages of history ({} KB of markdown), a streaming answer with a {CODE_LINES}-line Rust block; {FRAMES} frames per variant, one token fed before each",
        corpus.history_bytes() / 1024
    );
    // `cargo bench --bench tui_frame -- 120x40 idle` runs only the variants whose label
    // contains every word given.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        for variant in [Variant::Streaming, Variant::Scrolled, Variant::Idle] {
            let label = format!("{w}x{h} {}", variant.name());
            if filter.iter().all(|f| label.contains(f.as_str())) {
                run(&corpus, w, h, variant);
            }
        }
    }
}

fn run(corpus: &Corpus, w: u16, h: u16, variant: Variant) {
    let (mut app, id, one_event) = corpus.app();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    let mut tokens = corpus.tokens.iter().cycle();
    let mut feed = |app: &mut App| {
        let text = tokens.next().expect("tokens cycle").clone();
        app.on_engine(delta(id, text));
    };

    let (cold, _) = time_draw(&mut terminal, &mut app);
    for _ in 0..WARMUP {
        if variant != Variant::Idle {
            feed(&mut app);
        }
        time_draw(&mut terminal, &mut app);
    }
    if variant == Variant::Scrolled {
        for _ in 0..PAGE_UPS {
            app.on_key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE));
            time_draw(&mut terminal, &mut app);
        }
        assert!(!app.scroll.following(), "the view is held");
    }
    let code_before = app.code.blocks.last().map_or(0, |b| b.lines());
    let mut samples = Vec::with_capacity(FRAMES);
    let mut ui_samples = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        if variant != Variant::Idle {
            feed(&mut app);
        }
        let (total, ui_time) = time_draw(&mut terminal, &mut app);
        samples.push(ms(total));
        ui_samples.push(ms(ui_time));
    }
    let code_after = app.code.blocks.last().map_or(0, |b| b.lines());
    assert!(app.running == Some(id), "still streaming");

    let s = Stats::of(&mut samples);
    let verdict = if s.p99 <= TARGET_MS { "" } else { "  MISSED" };
    println!(
        "frame {w}x{h} {:<12} median {:>6.3} ms  p99 {:>6.3} ms  max {:>6.3} ms  (target p99 ≤ {TARGET_MS} ms){verdict}",
        format!("{}:", variant.name()),
        s.median,
        s.p99,
        s.max,
    );
    let u = Stats::of(&mut ui_samples);
    println!(
        "    of which ui::draw median {:.3} ms  p99 {:.3} ms (the rest: buffer diff, backend, buffer swap)",
        u.median, u.p99
    );
    if variant == Variant::Streaming {
        // Where the time goes: the streaming message's markdown layout, which the chat
        // pane redoes on every frame that follows a token.
        let width = chat_width(w, h);
        let answer = &app.entries.last().expect("the answer").text;
        let mut layout: Vec<f64> = (0..200)
            .map(|_| {
                let t = Instant::now();
                let lines = markdown::render(answer, width, &app.theme.markdown);
                std::hint::black_box(lines);
                ms(t.elapsed())
            })
            .collect();
        let l = Stats::of(&mut layout);
        if w >= 110 && h >= 32 {
            println!(
                "    ratatui Layout solving for the wide layout's splits (the `layout-cache` feature is off): {:.3} ms a frame",
                wide_layout_ms(w, h)
            );
        }
        println!(
            "    first frame (lays out all {HISTORY} messages) {:.1} ms; code block {code_before}→{code_after} lines; of each frame, re-laying out the {} KB answer at width {width}: median {:.3} ms",
            ms(cold),
            answer.len() / 1024,
            l.median,
        );
        println!(
            "    the {CODE_LINES} lines arriving in one Delta (as a cache hit replays an answer): on_engine {:.1} ms, all of it highlighted at once",
            ms(one_event)
        );
    }
}

/// Times one `terminal.draw`; also returns how much of it was `ui::draw` itself (the rest
/// is the buffer diff, the backend and swapping buffers).
fn time_draw(terminal: &mut Terminal<TestBackend>, app: &mut App) -> (Duration, Duration) {
    let mut ui_time = Duration::ZERO;
    let start = Instant::now();
    terminal
        .draw(|f| {
            let t = Instant::now();
            ui::draw(f, app);
            ui_time = t.elapsed();
        })
        .expect("draw");
    let took = start.elapsed();
    app.dirty = false;
    (took, ui_time)
}

/// The chat pane's inner width, as `ui::draw` lays it out (wide from 110×32, else the
/// compact layout with the chat full width).
fn chat_width(w: u16, h: u16) -> u16 {
    let body = Rect::new(0, 0, w, h - 1);
    if w >= 110 && h >= 32 {
        let [left, _] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(body);
        left.width - 2
    } else {
        w - 2
    }
}

/// The time to solve the splits `ui::draw` makes for a wide frame (a copy of its
/// constraints; kept in step by hand), median of 200.
fn wide_layout_ms(w: u16, h: u16) -> f64 {
    let area = Rect::new(0, 0, w, h);
    let mut t: Vec<f64> = (0..200)
        .map(|_| {
            let start = Instant::now();
            let [body, _] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                    .areas(body);
            let [_, _] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(left);
            let [_, inspector, resources] = Layout::vertical([
                Constraint::Percentage(36),
                Constraint::Percentage(38),
                Constraint::Percentage(26),
            ])
            .areas(right);
            let [_, _] =
                Layout::vertical([Constraint::Length(10), Constraint::Length(2)]).areas(inspector);
            let [_, spark] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(resources);
            let [_, bars] =
                Layout::horizontal([Constraint::Length(14), Constraint::Min(1)]).areas(spark);
            std::hint::black_box(bars);
            ms(start.elapsed())
        })
        .collect();
    Stats::of(&mut t).median
}

struct Stats {
    median: f64,
    p99: f64,
    max: f64,
}

impl Stats {
    /// From samples in milliseconds.
    fn of(v: &mut [f64]) -> Self {
        v.sort_by(f64::total_cmp);
        Stats {
            median: v[v.len() / 2],
            p99: v[(v.len() * 99 / 100).min(v.len() - 1)],
            max: v[v.len() - 1],
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn delta(id: u64, text: String) -> Event {
    Event {
        id,
        kind: EventKind::Delta {
            backend: BackendId::Lmstudio,
            text,
            draft: false,
        },
    }
}

// ---- the scripted conversation ---------------------------------------------------------

/// The history, the streaming answer so far and the tokens that continue it; generated
/// once (deterministically) and replayed into a fresh app per variant.
struct Corpus {
    /// (prompt, answer) pairs.
    turns: Vec<(String, String)>,
    /// The answer up to line `CODE_LINES` of its open code block.
    answer: String,
    /// The rest of the code block, split into tokens of 1–7 characters.
    tokens: Vec<String>,
}

impl Corpus {
    fn new() -> Self {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let turns = (0..HISTORY / 2)
            .map(|i| (prompt(&mut rng, i), answer(&mut rng, i)))
            .collect();
        let code = rust_code(CODE_LINES + 400);
        let split = code
            .match_indices('\n')
            .nth(CODE_LINES - 1)
            .map_or(code.len(), |(i, _)| i + 1);
        let answer = format!(
            "Here is the whole **lexer and parser** in one file. It keeps the `Span` of every token so errors can point at the source:\n\n```rust\n{}",
            &code[..split]
        );
        let mut tokens = Vec::new();
        let rest = &code[split..];
        let mut at = 0;
        while at < rest.len() {
            let n = 1 + rng.below(7);
            let end = (at + n).min(rest.len());
            tokens.push(rest[at..end].to_owned());
            at = end;
        }
        Corpus {
            turns,
            answer,
            tokens,
        }
    }

    fn history_bytes(&self) -> usize {
        self.turns.iter().map(|(p, a)| p.len() + a.len()).sum()
    }

    /// A fresh app with the whole history answered and the streaming request running;
    /// returns it with the running request's id and how long `on_engine` took for the
    /// event that brought the first {CODE_LINES} lines of code in one go.
    fn app(&self) -> (App, u64, Duration) {
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
        app.on_engine(Event {
            id: 0,
            kind: EventKind::Resources {
                status: resources(),
            },
        });
        for (i, (prompt, answer)) in self.turns.iter().enumerate() {
            let id = submit(&mut app, prompt);
            let backend = if i % 3 == 0 {
                BackendId::Ollama
            } else {
                BackendId::Lmstudio
            };
            let model = model_of(backend);
            for kind in [
                EventKind::Model {
                    backend,
                    model: model.into(),
                    reason: "loaded".into(),
                },
                EventKind::Delta {
                    backend,
                    text: answer.clone(),
                    draft: false,
                },
                done(backend, answer.len()),
            ] {
                app.on_engine(Event { id, kind });
            }
            assert!(app.running.is_none());
        }
        let prompt = "Write the complete lexer and recursive-descent parser for our expression language in Rust, with spans and error recovery";
        let id = submit(&mut app, prompt);
        let analysis = router::analyze(prompt, &[]);
        let routing = codecrucible::config::Config::default().hybrid.routing;
        let decision = router::decide(&analysis, None, &routing, &router::Signals::default());
        for kind in [
            EventKind::Route {
                decision,
                backend: BackendId::Lmstudio,
                fallback: Some(BackendId::Ollama),
                features: analysis.features.clone(),
            },
            EventKind::Model {
                backend: BackendId::Lmstudio,
                model: model_of(BackendId::Lmstudio).into(),
                reason: "loaded".into(),
            },
        ] {
            app.on_engine(Event { id, kind });
        }
        // As a cache hit replays an answer: the whole block in one event.
        let t = Instant::now();
        app.on_engine(delta(id, self.answer.clone()));
        let one_event = t.elapsed();
        assert_eq!(app.entries.len(), HISTORY + 2);
        assert_eq!(
            app.code.blocks.last().map(|b| b.lines()),
            Some(CODE_LINES),
            "the open block holds {CODE_LINES} lines"
        );
        (app, id, one_event)
    }
}

fn submit(app: &mut App, prompt: &str) -> u64 {
    app.submit(prompt.to_owned(), false);
    app.outgoing
        .drain(..)
        .rev()
        .find_map(|c| match c {
            Command::Submit(s) => Some(s.id),
            _ => None,
        })
        .expect("a request was sent")
}

fn model_of(b: BackendId) -> &'static str {
    match b {
        BackendId::Lmstudio => "qwen2.5-coder-7b-instruct",
        BackendId::Ollama => "qwen2.5-coder:32b",
    }
}

fn done(backend: BackendId, len: usize) -> EventKind {
    EventKind::Done {
        backend,
        model: model_of(backend).into(),
        ttft_ms: Some(180.0),
        total_ms: 2400.0,
        input_tokens: Some(1200),
        output_tokens: Some(len as u64 / 4),
        tokens_per_second: Some(42.0),
        finish_reason: Some("stop".into()),
        cached: false,
        cached_tokens: None,
        endpoint: None,
    }
}

fn resources() -> ResourceStatus {
    let model = |name: &str| ModelInfo {
        loaded: Some(true),
        vram_bytes: Some(6 << 30),
        context_length: Some(32768),
        ..ModelInfo::named(name)
    };
    ResourceStatus {
        machine: MachineReading {
            gpu: GpuStatus {
                source: GpuSource::NvidiaSmi,
                devices: vec![GpuDevice {
                    index: 0,
                    name: Some("NVIDIA RTX 4090".into()),
                    total_bytes: 24 << 30,
                    used_bytes: 14 << 30,
                }],
                note: None,
            },
            host: HostLoad {
                cpu_percent: 23.0,
                memory_total_bytes: 32 << 30,
                memory_used_bytes: 13 << 30,
            },
        },
        backends: vec![
            BackendResources::up(
                BackendId::Lmstudio,
                "http://localhost:1234",
                2,
                &[model(model_of(BackendId::Lmstudio))],
            ),
            BackendResources::up(
                BackendId::Ollama,
                "http://localhost:11434",
                1,
                &[model(model_of(BackendId::Ollama))],
            ),
        ],
    }
}

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const THINGS: &[&str] = &[
    "the connection pool",
    "this parser",
    "the retry loop",
    "our config loader",
    "the cache layer",
    "the CLI argument handling",
    "this async stream",
    "the JSON decoder",
    "the migration script",
    "the rate limiter",
    "this React hook",
    "the SQL query builder",
];
const VERBS: &[&str] = &[
    "refactor",
    "speed up",
    "add tests for",
    "explain",
    "fix the race in",
    "document",
    "simplify",
    "review",
];
const LANGS: &[&str] = &["Rust", "Python", "TypeScript", "Go"];
const SENTENCES: &[&str] = &[
    "The root of the problem is that the lock is held across an `await`, so every other task queues behind one slow request.",
    "Splitting the work into a *pure* function and a thin I/O wrapper makes it testable without a network.",
    "You can keep the public API unchanged; only the internals move.",
    "This costs one extra allocation per call, which is negligible next to the round trip.",
    "Note that `Option::take` leaves `None` behind, which is exactly what the retry path expects.",
    "The **important** part is to check the deadline before sleeping, not after.",
    "If the input can be empty, return early instead of indexing `v[0]`.",
    "Errors should carry the path that failed; otherwise the log line is useless at 3 a.m.",
    "Benchmarks on a 2-core machine showed a 3× improvement once the copy was gone.",
    "I would keep the old behaviour behind a flag for one release, then remove it.",
    "See the [reference](https://doc.rust-lang.org/std/) for the exact guarantees.",
    "A `BTreeMap` keeps the keys sorted, so the output is stable between runs.",
];
const ITEMS: &[&str] = &[
    "move the `timeout` into the config",
    "return `Result<T, Error>` instead of panicking",
    "log the request id with every error",
    "add a test for the empty input",
    "keep the buffer between calls",
    "use `with_capacity` when the size is known",
    "close the file before renaming it",
    "make the retry count configurable",
];

fn prompt(rng: &mut Rng, i: usize) -> String {
    let mut p = format!(
        "Can you {} {} in {}?",
        rng.pick(VERBS),
        rng.pick(THINGS),
        rng.pick(LANGS)
    );
    if i % 3 == 0 {
        p.push_str(" It fails intermittently under load and the logs only say `connection reset`.");
    }
    if i % 7 == 0 {
        p.push_str("\n\nHere is the function:\n\n```rust\nfn handle(req: Request) -> Response {\n    let conn = POOL.get().unwrap();\n    conn.send(req)\n}\n```");
    }
    p
}

fn answer(rng: &mut Rng, i: usize) -> String {
    let mut a = String::new();
    if i % 4 == 0 {
        a.push_str(&format!("## {}\n\n", capitalised(rng.pick(THINGS))));
    }
    for p in 0..2 + rng.below(3) {
        let n = 2 + rng.below(3);
        let para: Vec<&str> = (0..n).map(|_| rng.pick(SENTENCES)).collect();
        a.push_str(&para.join(" "));
        a.push_str("\n\n");
        if p == 0 && rng.below(2) == 0 {
            for k in 0..3 + rng.below(3) {
                if i % 2 == 0 {
                    a.push_str(&format!("{}. {}\n", k + 1, rng.pick(ITEMS)));
                } else {
                    a.push_str(&format!("- {}\n", rng.pick(ITEMS)));
                }
            }
            a.push('\n');
        }
        if p == 1 && rng.below(3) != 0 {
            a.push_str(match rng.below(3) {
                0 => "```rust\nlet pool = Pool::builder()\n    .max_size(16)\n    .connection_timeout(Duration::from_secs(2))\n    .build(manager)?;\nlet conn = pool.get().await?;\n```\n\n",
                1 => "```python\ndef retry(fn, attempts=3):\n    for i in range(attempts):\n        try:\n            return fn()\n        except ConnectionError:\n            time.sleep(2 ** i)\n    raise TimeoutError(\"gave up\")\n```\n\n",
                _ => "```ts\nexport async function load(path: string): Promise<Config> {\n  const text = await fs.readFile(path, \"utf8\");\n  return parse(text);\n}\n```\n\n",
            });
        }
    }
    a.push_str("Let me know if you want me to apply the same change to the other call sites.");
    a
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// Plausible Rust, `lines` lines of it.
fn rust_code(lines: usize) -> String {
    const CHUNK: &str = r#"/// Reads one {name} from the input, or reports where it went wrong.
pub fn parse_{name}(p: &mut Parser<'_>) -> Result<Node, ParseError> {
    let start = p.pos();
    let mut items: Vec<Node> = Vec::with_capacity(4);
    while let Some(tok) = p.peek() {
        match tok.kind {
            TokenKind::Ident(ref s) if s == "{name}" => {
                p.bump();
                items.push(Node::Name(s.clone(), tok.span));
            }
            TokenKind::Number(n) => {
                p.bump();
                items.push(Node::Number(n * {k}.0, tok.span));
            }
            TokenKind::Comma => p.bump(),
            _ => break,
        }
    }
    if items.is_empty() {
        return Err(ParseError::expected("{name}", p.span_from(start)));
    }
    Ok(Node::List(items, p.span_from(start))) // {k} items at most
}

#[derive(Debug, Clone, PartialEq)]
pub struct {Name}State {
    pub depth: usize,
    pub seen: HashMap<String, u32>,
}
"#;
    const NAMES: &[&str] = &[
        "term", "factor", "call", "index", "field", "block", "param", "arg", "tuple", "array",
        "range", "unary",
    ];
    let mut out = String::new();
    let mut k = 0;
    while out.lines().count() < lines {
        let name = NAMES[k % NAMES.len()];
        out.push_str(
            &CHUNK
                .replace("{name}", &format!("{name}{k}"))
                .replace("{Name}", &format!("{}{k}", capitalised(name)))
                .replace("{k}", &k.to_string()),
        );
        out.push('\n');
        k += 1;
    }
    out
}
