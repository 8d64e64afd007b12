//! Drawing: the layout for the terminal's size and each pane. Reads the app's state and
//! never waits on anything: no network, disk, NVML or highlighting happens here.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline, Wrap};
use ratatui::Frame;

use super::app::{App, Pane};
use super::inspector::StepKind;
use super::notice::Level;
use super::overlay::{Overlay, View};
use crate::backend::BackendId;
use crate::resources::{human_bytes, GpuSource, ServerState};
use crate::text::width::{clip, split_at_width, width as cells};

/// Below this the app cannot be used; it says so instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this size every pane is on screen at once.
const WIDE_WIDTH: u16 = 110;
const WIDE_HEIGHT: u16 = 32;

pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area);
        return;
    }
    let [body, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let input_h = app.input.height_for(body.width, 8).max(3);
    let input = if area.width >= WIDE_WIDTH && area.height >= WIDE_HEIGHT {
        wide(f, app, body, input_h)
    } else {
        compact(f, app, body, input_h)
    };
    status_bar(f, app, status);
    mention_popup(f, app, input, body);
    overlay(f, app, area);
}

/// Lays out and draws every pane; returns where the input went.
fn wide(f: &mut Frame, app: &mut App, body: Rect, input_h: u16) -> Rect {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(body);
    let [chat, input] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(input_h)]).areas(left);
    let [code, inspector, resources] = Layout::vertical([
        Constraint::Percentage(36),
        Constraint::Percentage(38),
        Constraint::Percentage(26),
    ])
    .areas(right);
    chat_pane(f, app, chat);
    input_pane(f, app, input);
    code_pane(f, app, code);
    inspector_pane(f, app, inspector);
    resources_pane(f, app, resources);
    input
}

/// Small terminals: one main pane at a time under a tab bar, the input below. Returns
/// where the input went.
fn compact(f: &mut Frame, app: &mut App, body: Rect, input_h: u16) -> Rect {
    let [tabs, main, input] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(input_h),
    ])
    .areas(body);
    let shown = if app.focus == Pane::Input {
        Pane::Chat
    } else {
        app.focus
    };
    let mut spans = Vec::new();
    for p in [Pane::Chat, Pane::Code, Pane::Inspector, Pane::Resources] {
        let style = if p == shown {
            app.theme.selected
        } else {
            app.theme.dim
        };
        spans.push(Span::styled(format!(" {} ", p.title()), style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled("Tab switches", app.theme.dim));
    f.render_widget(Line::from(spans), tabs);
    match shown {
        Pane::Code => code_pane(f, app, main),
        Pane::Inspector => inspector_pane(f, app, main),
        Pane::Resources => resources_pane(f, app, main),
        _ => chat_pane(f, app, main),
    }
    input_pane(f, app, input);
    input
}

fn block<'a>(app: &App, pane: Pane, title: impl Into<Line<'a>>) -> Block<'a> {
    let style = if app.focus == pane {
        app.theme.border_focused
    } else {
        app.theme.border
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(title)
}

fn too_small(f: &mut Frame, area: Rect) {
    let text = format!(
        "Terminal too small ({}×{}). CodeCrucible needs at least {MIN_WIDTH}×{MIN_HEIGHT}; enlarge the window.",
        area.width, area.height
    );
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

// ---- chat ----------------------------------------------------------------------------

fn chat_pane(f: &mut Frame, app: &mut App, area: Rect) {
    let title = match app.session {
        Some(id) => format!(" Chat · session {id} "),
        None => " Chat ".to_owned(),
    };
    let b = block(app, Pane::Chat, title);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let (width, height) = (inner.width, inner.height as usize);
    let total: usize = app
        .entries
        .iter()
        .map(|e| e.lines(width, app.unfold, &app.theme).len())
        .sum();
    // Scrolled up: hold the view still while new lines arrive below it.
    if !app.scroll.following() && total > app.last_total {
        app.scroll.from_bottom += total - app.last_total;
    }
    app.last_total = total;
    app.scroll.from_bottom = app.scroll.from_bottom.min(total.saturating_sub(height));
    let lines = visible_chat(app, width, height);
    f.render_widget(Paragraph::new(lines), inner);
    if !app.scroll.following() {
        let hint = format!(" ↓ {} more lines (End follows) ", app.scroll.from_bottom);
        let w = u16::try_from(cells(&hint)).unwrap_or(u16::MAX);
        if inner.width > w {
            let at = Rect::new(inner.right() - w, inner.bottom().saturating_sub(1), w, 1);
            f.render_widget(Span::styled(hint, app.theme.warn), at);
        }
    }
    if app.entries.is_empty() {
        let hello = welcome(app);
        f.render_widget(Paragraph::new(hello).wrap(Wrap { trim: false }), inner);
    }
}

/// The `height` lines that end `from_bottom` lines above the last one; only those are
/// cloned.
fn visible_chat(app: &App, width: u16, height: usize) -> Vec<Line<'static>> {
    let mut skip = app.scroll.from_bottom;
    let mut out: Vec<Line<'static>> = Vec::with_capacity(height);
    for e in app.entries.iter().rev() {
        let lines = e.lines(width, app.unfold, &app.theme);
        let n = lines.len();
        if skip >= n {
            skip -= n;
            continue;
        }
        let end = n - skip;
        skip = 0;
        let want = height - out.len();
        let start = end.saturating_sub(want);
        out.extend(lines[start..end].iter().rev().cloned());
        if out.len() >= height {
            break;
        }
    }
    out.reverse();
    out
}

fn welcome(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    vec![
        Line::styled("CodeCrucible", t.title),
        Line::styled(
            "Routes each request between LM Studio (fast) and Ollama (quality).",
            t.dim,
        ),
        Line::default(),
        Line::styled(
            "Type a request and press Enter. F12 or ? lists every key;",
            t.dim,
        ),
        Line::styled(
            "F1–F6 switch voices, Ctrl+G cycles auto/fast/quality.",
            t.dim,
        ),
    ]
}

// ---- input and status ------------------------------------------------------------------

fn input_pane(f: &mut Frame, app: &mut App, area: Rect) {
    let focused = app.focus == Pane::Input;
    let title = match app.running {
        Some(_) => " Input · answering… Esc cancels ".to_owned(),
        None if app.run_active() => " Input · a command is running ".to_owned(),
        None => " Input ".to_owned(),
    };
    // The editor draws its own cursor cell.
    app.input.render(
        area,
        f.buffer_mut(),
        focused && app.overlay.is_none(),
        &title,
    );
}

/// The `@` list over the panes, next to the input it belongs to; only while the input has
/// the keys (src/tui/mention_popup.rs).
fn mention_popup(f: &mut Frame, app: &App, input: Rect, body: Rect) {
    if app.focus != Pane::Input || app.overlay.is_some() {
        return;
    }
    if let Some(popup) = app.input.mention() {
        popup.render(input, body, f.buffer_mut(), &app.theme);
    }
}

fn status_bar(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let voice = app.voice().map_or("neutral".to_owned(), |v| v.name.clone());
    let mut spans = vec![
        Span::styled(format!(" {voice} "), t.selected),
        Span::raw(" "),
        Span::styled(format!("mode {}", app.mode.label()), t.accent),
    ];
    if app.edit_mode() {
        spans.push(Span::styled(" · edits", t.warn));
    }
    let sandbox_at = spans.len();
    let (sandbox, off) = app.sandbox.label();
    spans.push(Span::styled(
        format!(" · {sandbox}"),
        if off {
            t.error.add_modifier(ratatui::style::Modifier::BOLD)
        } else {
            t.dim
        },
    ));
    spans.push(Span::raw(" │ "));
    if let Some(ws) = workspace_label(app) {
        spans.push(Span::styled(ws, t.dim));
        spans.push(Span::raw(" │ "));
    }
    for b in BackendId::ALL {
        let (sym, style) = match server_state(app, b) {
            Health::Up => ("●", t.ok),
            Health::Down => ("✗", t.error),
            Health::Cooling => ("◌", t.warn),
            Health::Off => ("-", t.dim),
            Health::Unknown => ("?", t.dim),
        };
        spans.push(Span::styled(format!("{sym} {} ", short(b)), style));
    }
    spans.push(Span::raw("│ "));
    spans.push(Span::styled(context_text(app), t.dim));
    spans.push(Span::raw(" │ "));
    match &app.note {
        Some(n) => spans.push(Span::styled(
            n.text.clone(),
            match n.level {
                Level::Info => t.accent,
                Level::Warning => t.warn,
                Level::Error => t.error,
            },
        )),
        None => match app.input.completion_hint() {
            Some(h) => spans.push(Span::styled(h, t.dim)),
            None => {
                let k = |a| app.keymap.label(a);
                use crate::keys::Action as A;
                let long = format!(
                    "{}… voice · {} mode · {} pane · {} help · {} quit",
                    k(A::Voice1),
                    k(A::CycleMode),
                    k(A::NextPane),
                    k(A::Help),
                    k(A::CancelOrQuit)
                );
                // The whole hint where it fits in what is left of the bar, else the
                // two keys that matter most.
                let used: usize = spans.iter().map(|s| cells(&s.content)).sum();
                let hint = if used + cells(&long) <= usize::from(area.width) {
                    long
                } else {
                    format!("{} help · {} quit", k(A::Help), k(A::CancelOrQuit))
                };
                spans.push(Span::styled(hint, t.dim));
            }
        },
    }
    // A notice matters more than the usual sandbox mode, so that mode gives way when the
    // notice would not fit; unconfined commands never do: they are an opt-in the user must
    // not lose sight of (DESIGN.md, "Acting on code": never unsandboxed silently).
    let used: usize = spans.iter().map(|s| cells(&s.content)).sum();
    if app.note.is_some() && !off && used > usize::from(area.width) {
        spans.remove(sandbox_at);
    }
    f.render_widget(Line::from(spans), area);
}

/// The workspace by its folder's name, cleaned for the terminal (a folder name is the
/// user's, but may hold anything).
fn workspace_label(app: &App) -> Option<String> {
    let root = app.files.root.as_ref()?;
    let name = root.file_name().map_or_else(
        || root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Some(format!("⌂ {}", crate::text::terminal::line(&name, " ")))
}

fn short(b: BackendId) -> &'static str {
    match b {
        BackendId::Lmstudio => "LM Studio",
        BackendId::Ollama => "Ollama",
    }
}

fn context_text(app: &App) -> String {
    use crate::text::short::count;
    match app.context {
        Some((used, Some(window))) => format!("ctx {} / {}", count(used), count(window)),
        Some((used, None)) => format!("ctx {}", count(used)),
        None => "ctx –".to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Up,
    Down,
    Cooling,
    Off,
    Unknown,
}

/// A server's state from the freshest source: the health check knows about the circuit
/// breaker, the resource monitor probes more often.
/// A role with several endpoints is as well as its best endpoint.
fn server_state(app: &App, b: BackendId) -> Health {
    let sections = endpoint_sections(app, b);
    if sections.len() > 1 {
        let states: Vec<Health> = sections.iter().map(|s| endpoint_state(s)).collect();
        return [Health::Up, Health::Down, Health::Cooling]
            .into_iter()
            .find(|want| states.contains(want))
            .unwrap_or(Health::Off);
    }
    if let Some(h) = &app.health[b] {
        if h.breaker == crate::engine::breaker::BreakerState::Open {
            return Health::Cooling;
        }
    }
    if let Some(r) = sections.first() {
        return endpoint_state(r);
    }
    match &app.health[b] {
        Some(h) if !h.enabled => Health::Off,
        Some(h) if h.up => Health::Up,
        Some(_) => Health::Down,
        None => Health::Unknown,
    }
}

// ---- code ------------------------------------------------------------------------------

fn code_pane(f: &mut Frame, app: &mut App, area: Rect) {
    let n = app.code.blocks.len();
    let title = match app.code.blocks.get(app.code_selected) {
        Some(b) => format!(
            " Code {}/{n} · {}{} ",
            app.code_selected + 1,
            b.lang.as_deref().unwrap_or("text"),
            if b.complete { "" } else { " · streaming" }
        ),
        None => " Code ".to_owned(),
    };
    let focused = app.focus == Pane::Code;
    let b = block(app, Pane::Code, title);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(code) = app.code.blocks.get(app.code_selected) else {
        let msg = Line::styled(
            "Code blocks of the current answer appear here as they stream.",
            app.theme.dim,
        );
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), inner);
        return;
    };
    let height = inner.height.saturating_sub(u16::from(focused)) as usize;
    let len = code.lines();
    // A block still streaming follows its end; a finished one is read from the top.
    let start = if code.complete {
        app.code_scroll = app.code_scroll.min(len.saturating_sub(height));
        app.code_scroll
    } else {
        len.saturating_sub(height)
    };
    let digits = len.max(1).to_string().len();
    let lines: Vec<Line<'static>> = code
        .visible(start, height)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let mut spans = vec![Span::styled(
                format!("{:>digits$} ", start + i + 1),
                app.theme.dim,
            )];
            spans.extend(l.spans);
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
    if focused && inner.height > 0 {
        let hint = Line::styled("[ ] block · y copy · s save · ↑↓ scroll", app.theme.dim);
        let at = Rect::new(inner.x, inner.bottom() - 1, inner.width, 1);
        f.render_widget(hint, at);
    }
}

// ---- inspector -------------------------------------------------------------------------

fn inspector_pane(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let i = &app.inspector;
    let b = block(app, Pane::Inspector, " Routing ");
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = usize::from(inner.width.max(1));
    let Some(task) = &i.task_type else {
        let hint = Line::styled(
            "The route, its reasons and the answer's confidence show here live.",
            t.dim,
        );
        f.render_widget(Paragraph::new(hint).wrap(Wrap { trim: true }), inner);
        return;
    };
    // The decision and the confidence stay on top; the timeline gets what is left and
    // shows its newest steps; the speeds close the pane.
    let mut head = vec![
        Line::from(vec![
            Span::styled("task ", t.dim),
            Span::styled(task.clone(), t.title),
            Span::styled(format!(" · complexity {:.2}", i.complexity), t.dim),
        ]),
        Line::from(vec![
            Span::styled("route ", t.dim),
            Span::styled(i.route.clone().unwrap_or_default(), t.accent),
            Span::styled(
                format!(
                    " → {} · decision {:.2}",
                    i.backend.map_or("?", |b| b.label()),
                    i.decision_confidence
                ),
                t.dim,
            ),
        ]),
    ];
    if let Some(ctx) = &app.files.line {
        head.push(Line::styled(clip(ctx, w), t.dim));
    }
    for (kind, moved, why) in &i.adjustments {
        head.push(Line::from(vec![
            Span::styled(format!("↳ {kind} {moved}: "), t.warn),
            Span::styled(
                clip(why, w.saturating_sub(cells(kind) + cells(moved) + 5)),
                t.dim,
            ),
        ]));
    }
    // At most two rows of reasoning; every other line is one row, so the layout below
    // knows exactly what fits.
    if let Some(l) = learned_line(app) {
        head.push(Line::styled(clip(&l, w), t.accent));
    }
    let why = format!("why: {}", i.reasoning);
    let (first, rest) = split_at_width(&why, w);
    head.push(Line::styled(first.to_owned(), t.dim));
    if !rest.is_empty() {
        head.push(Line::styled(clip(rest, w), t.dim));
    }
    if let Some(c) = &i.answer {
        let good = f64::from(c.score) >= c.threshold;
        head.push(Line::from(vec![
            Span::styled("answer confidence ", t.dim),
            Span::styled(format!("{:.2}", c.score), if good { t.ok } else { t.error }),
            Span::styled(format!(" / threshold {:.2}", c.threshold), t.dim),
        ]));
        for (name, score, detail) in &c.signals {
            let style = if *score < 0.5 { t.warn } else { t.dim };
            head.push(Line::styled(
                clip(&format!("  {name:<12} {score:.2} {detail}"), w),
                style,
            ));
        }
    }
    let speeds = speed_lines(app);
    let free = usize::from(inner.height).saturating_sub(head.len() + speeds.len());
    let mut steps: Vec<Line> = Vec::new();
    for s in i.timeline.iter().rev() {
        let style = match s.kind {
            StepKind::Good => t.ok,
            StepKind::Warn => t.warn,
            StepKind::Bad => t.error,
            StepKind::Info => t.text,
        };
        if steps.len() >= free {
            break;
        }
        // Cleaned when recorded (`Inspector::step`).
        let text = clip(&s.text, w.saturating_sub(2));
        steps.push(Line::from(vec![
            Span::styled("• ", t.dim),
            Span::styled(text, style),
        ]));
    }
    steps.reverse();
    let mut lines = head;
    lines.extend(steps);
    let body_h = inner.height.saturating_sub(speeds.len() as u16);
    let [body, foot] = Layout::vertical([
        Constraint::Length(body_h),
        Constraint::Length(speeds.len() as u16),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(lines), body);
    f.render_widget(Paragraph::new(speeds), foot);
}

/// How learning has shifted this request's task class, once it has evidence.
fn learned_line(app: &App) -> Option<String> {
    let i = &app.inspector;
    let task = i.task_type.as_deref()?;
    let band = crate::router::learn::band(i.complexity);
    let c = app
        .learning
        .iter()
        .find(|c| c.task_type.as_str() == task && c.band == band)?;
    let moved = if c.preferred == c.default {
        format!("stays {}", c.default.as_str())
    } else {
        format!("{} → {}", c.default.as_str(), c.preferred.as_str())
    };
    Some(format!(
        "learned: {moved} · fast holds up {:.0}%, quality {:.0}% · {} outcomes",
        c.fast_holds * 100.0,
        c.quality_holds * 100.0,
        c.observations
    ))
}

fn speed_lines(app: &App) -> Vec<Line<'static>> {
    let i = &app.inspector;
    BackendId::ALL
        .map(|b| {
            let text = match i.speed[b] {
                Some((ttft, tps)) => format!(
                    "{:<9} TTFT {} · {} · queue {}",
                    short(b),
                    ttft.map_or("–".into(), |v| format!("{v:.0} ms")),
                    tps.map_or("–".into(), |v| format!("{v:.0} tok/s")),
                    app.load[b].queued
                ),
                None => format!("{:<9} – · queue {}", short(b), app.load[b].queued),
            };
            Line::styled(text, app.theme.dim)
        })
        .to_vec()
}

// ---- resources -------------------------------------------------------------------------

fn resources_pane(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let b = block(app, Pane::Resources, " Resources ");
    let inner = b.inner(area);
    f.render_widget(b, area);
    let mut lines = Vec::new();
    for id in BackendId::ALL {
        lines.extend(backend_lines(app, id));
    }
    match &app.resources {
        Some(r) if !r.machine.is_pending() => {
            let g = &r.machine.gpu;
            if g.source == GpuSource::None {
                lines.push(Line::styled("GPU: no GPU found", t.dim));
            } else {
                for d in &g.devices {
                    lines.push(Line::styled(
                        format!(
                            "GPU {}: {} / {} used",
                            d.index,
                            human_bytes(d.used_bytes),
                            human_bytes(d.total_bytes)
                        ),
                        t.text,
                    ));
                }
            }
            let h = &r.machine.host;
            lines.push(Line::styled(
                format!(
                    "CPU {:.0}% · memory {} / {}",
                    h.cpu_percent,
                    human_bytes(h.memory_used_bytes),
                    human_bytes(h.memory_total_bytes)
                ),
                t.text,
            ));
        }
        _ => lines.push(Line::styled("reading GPU, CPU and memory…", t.dim)),
    }
    if let Some(u) = &app.unloaded {
        lines.push(Line::styled(u.clone(), t.warn));
    }
    let spark_h = if inner.height as usize > lines.len() + 2 {
        2
    } else {
        0
    };
    let [text, spark] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(spark_h)]).areas(inner);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
    if spark_h > 0 {
        let data: Vec<u64> = app.speed.iter().copied().collect();
        let last = data
            .last()
            .map_or("tokens/s".to_owned(), |v| format!("{v} tokens/s"));
        let [label, bars] =
            Layout::horizontal([Constraint::Length(14), Constraint::Min(1)]).areas(spark);
        f.render_widget(Span::styled(last, t.dim), label);
        f.render_widget(Sparkline::default().data(data).style(t.accent), bars);
    }
}

/// The resource monitor's sections for a role: one per endpoint, in the config's order.
fn endpoint_sections(app: &App, b: BackendId) -> Vec<&crate::resources::BackendResources> {
    app.resources
        .as_ref()
        .map(|r| r.backends.iter().filter(|x| x.backend == b).collect())
        .unwrap_or_default()
}

fn endpoint_state(r: &crate::resources::BackendResources) -> Health {
    match r.state {
        ServerState::Up if r.cooling => Health::Cooling,
        ServerState::Up => Health::Up,
        ServerState::Down => Health::Down,
        ServerState::Disabled => Health::Off,
    }
}

/// One line per endpoint of a role that has several: its address, state, load and the
/// models it has loaded, and why it is down.
fn endpoint_lines(
    app: &App,
    sections: &[&crate::resources::BackendResources],
) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for s in sections {
        let (word, style) = match endpoint_state(s) {
            Health::Up => ("up", t.ok),
            Health::Down => ("down", t.error),
            Health::Cooling => ("cooling down", t.warn),
            Health::Off => ("switched off", t.dim),
            Health::Unknown => ("checking…", t.dim),
        };
        let models: Vec<&str> = s.loaded_models().map(|m| m.name.as_str()).collect();
        let models = if models.is_empty() {
            String::new()
        } else {
            format!(" · {}", models.join(", "))
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {}", s.endpoint.trim_end_matches('/')), t.text),
            Span::styled(format!(" {word}"), style),
            Span::styled(
                format!(" · {}/{} in flight{models}", s.in_flight, s.max_concurrent),
                t.dim,
            ),
        ]));
        if let (Health::Down, Some(why)) = (endpoint_state(s), &s.error) {
            out.push(Line::styled(format!("    {why}"), t.error));
        }
    }
    out
}

fn backend_lines(app: &App, id: BackendId) -> Vec<Line<'static>> {
    let t = &app.theme;
    let load = &app.load[id];
    let state = server_state(app, id);
    let (word, style) = match state {
        Health::Up if app.loading[id] => ("up, loading a model", t.warn),
        Health::Up => ("up", t.ok),
        Health::Down => ("down", t.error),
        Health::Cooling => ("cooling down", t.warn),
        Health::Off => ("switched off", t.dim),
        Health::Unknown => ("checking…", t.dim),
    };
    let version = app.health[id]
        .as_ref()
        .and_then(|h| h.version.clone())
        .map(|v| {
            if v.starts_with(|c: char| c.is_ascii_digit()) {
                format!(" v{v}")
            } else {
                format!(" {v}")
            }
        })
        .unwrap_or_default();
    let mut out = vec![Line::from(vec![
        Span::styled(id.label().to_owned(), t.title),
        Span::styled(format!(" {word}{version}"), style),
        Span::styled(
            format!(
                " · {}/{} in flight, {} queued",
                load.in_flight, load.max_concurrent, load.queued
            ),
            t.dim,
        ),
    ])];
    let sections = endpoint_sections(app, id);
    if sections.len() > 1 {
        out.extend(endpoint_lines(app, &sections));
        return out;
    }
    let section = sections.first().copied();
    if state == Health::Down {
        let why = section
            .and_then(|s| s.error.clone())
            .or_else(|| app.health[id].as_ref().and_then(|h| h.error.clone()));
        if let Some(why) = why {
            out.push(Line::styled(format!("  {why}"), t.error));
        }
    }
    if let Some(s) = section {
        for m in s.loaded_models() {
            let vram = m
                .vram_words()
                .unwrap_or_else(|| "VRAM not reported".to_owned());
            out.push(Line::styled(format!("  ▪ {} · {vram}", m.name), t.text));
        }
    }
    out
}

// ---- overlays --------------------------------------------------------------------------

/// The overlay on top draws itself (src/tui/overlay/).
fn overlay(f: &mut Frame, app: &App, area: Rect) {
    let view = View {
        theme: &app.theme,
        keymap: &app.keymap,
    };
    match (&app.overlay, &app.edits.view) {
        // The app keeps the proposal the diff view shows (src/tui/overlay/mod.rs).
        (Some(Overlay::Diff), Some(diff)) => diff.render(f, area, &view),
        (Some(o), _) => o.render(f, area, &view),
        (None, _) => {}
    }
}
