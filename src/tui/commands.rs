//! Slash commands typed into the input box: parsing, the help table and Tab completion.
//!
//! A line is a command when it starts with one `/`. A line starting with `//` is text that
//! happens to begin with a slash: [`parse`] returns `None` for it and the caller strips one
//! slash before sending it (so `//etc/hosts is empty?` sends `/etc/hosts is empty?`).
//! Voice, model and theme names are free strings here; the caller knows which exist.

/// Which server answers: the router decides, or the user pins one. Ctrl+G cycles them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RouteChoice {
    #[default]
    Auto,
    Fast,
    Quality,
}

impl RouteChoice {
    /// Every choice, in Ctrl+G order.
    pub const ALL: [RouteChoice; 3] = [RouteChoice::Auto, RouteChoice::Fast, RouteChoice::Quality];

    /// The next choice in the Ctrl+G cycle: auto → fast → quality → auto.
    pub fn next(self) -> Self {
        match self {
            RouteChoice::Auto => RouteChoice::Fast,
            RouteChoice::Fast => RouteChoice::Quality,
            RouteChoice::Quality => RouteChoice::Auto,
        }
    }

    /// The lowercase name shown in the status bar and typed after `/mode`.
    pub fn label(self) -> &'static str {
        match self {
            RouteChoice::Auto => "auto",
            RouteChoice::Fast => "fast",
            RouteChoice::Quality => "quality",
        }
    }

    /// The choice named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.label().eq_ignore_ascii_case(name))
    }
}

/// A parsed slash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlashCommand {
    /// `/voice NAME`: switch the voice (the caller checks the name exists).
    Voice(String),
    /// `/mode auto|fast|quality`.
    Mode(RouteChoice),
    /// `/model NAME`: the caller checks the name.
    Model(String),
    New,
    Retry,
    Help,
    Quit,
    Resume,
    /// Feedback on the last answer: it was good.
    Good,
    /// Feedback on the last answer: it was bad.
    Bad,
    /// Feedback on the last answer: it needed the quality server.
    Quality,
    /// `/theme NAME`: the caller checks the name.
    Theme(String),
    /// `/add PATH…`: attach workspace files (or `path:40-90`, or `dir/`) to the session.
    Add(Vec<String>),
    /// `/drop PATH…`: take them out again.
    Drop(Vec<String>),
    /// `/files`: list the session's attached files.
    Files,
    /// `/edit`: toggle edit mode; `/edit PROMPT`: send that prompt as an edit request.
    Edit(Option<String>),
    /// `/diff`: show the last proposed changes again.
    Diff,
    /// `/undo [force]`: restore the files the newest applied change set wrote.
    Undo {
        force: bool,
    },
    /// `/redo [force]`: apply the most recently undone change set again.
    Redo {
        force: bool,
    },
    /// `/commit`: commit the newest change set with a message the fast server writes;
    /// `/commit MESSAGE`: with this message. Both ask first.
    Commit(Option<String>),
    /// `/run CMD ARGS…`: run a command in the sandbox, split into words as a shell would.
    Run(Vec<String>),
    /// `/test`: run the workspace's tests in the sandbox.
    Test,
}

/// Every command for the help overlay and completion: (name with its slash, arguments, help).
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (
        "/voice",
        "NAME",
        "switch the voice (analyzer, developer, …)",
    ),
    (
        "/mode",
        "auto|fast|quality",
        "let the router choose, or pin the fast or the quality server",
    ),
    ("/model", "NAME", "use this model for the next prompts"),
    ("/new", "", "start a new session"),
    ("/retry", "", "ask the last prompt again"),
    ("/resume", "", "carry on an earlier session"),
    ("/good", "", "mark the last answer good"),
    ("/bad", "", "mark the last answer bad"),
    (
        "/quality",
        "",
        "say the last answer needed the quality server",
    ),
    ("/theme", "NAME", "switch the colour theme"),
    (
        "/add",
        "PATH…",
        "attach workspace files to the session (path:40-90 for lines, dir/ for a folder)",
    ),
    ("/drop", "PATH…", "take attached files out of the session"),
    ("/files", "", "list the session's attached files"),
    (
        "/edit",
        "[PROMPT]",
        "toggle edit mode (answers propose changes to your files), or send one prompt as an edit request",
    ),
    ("/diff", "", "show the last proposed changes again"),
    (
        "/undo",
        "[force]",
        "undo the last applied changes (force: over files changed since)",
    ),
    (
        "/redo",
        "[force]",
        "apply the last undone changes again (force: over files changed since)",
    ),
    (
        "/commit",
        "[MESSAGE]",
        "commit the last applied changes, with a message written for them or yours (asks first)",
    ),
    (
        "/run",
        "CMD ARGS…",
        "run a command in the workspace, in the sandbox (quotes as in a shell; nothing is expanded)",
    ),
    (
        "/test",
        "",
        "run the workspace's tests in the sandbox (workspace.test_command, else detected)",
    ),
    ("/help", "", "show keys and commands"),
    ("/quit", "", "leave CodeCrucible"),
];

/// Other spellings people reach for; accepted but not listed or completed.
const ALIASES: &[(&str, &str)] = &[("exit", "quit"), ("q", "quit"), ("h", "help")];

/// Parses one line of input.
///
/// - `None`: not a command — it does not start with `/` (after leading whitespace), or it
///   starts with `//`, a literal slash the caller removes one of before sending.
/// - `Some(Err(sentence))`: an unknown command (with the nearest one suggested) or a missing
///   or bad argument, ready to show to the user.
/// - `Some(Ok(command))` otherwise. Command names are case-insensitive; free arguments
///   (voice, model, theme) are the rest of the line, trimmed, as typed.
pub fn parse(line: &str) -> Option<Result<SlashCommand, String>> {
    let line = line.trim();
    let body = line.strip_prefix('/')?;
    if body.starts_with('/') {
        return None;
    }
    let (word, arg) = split_word(body);
    if word.is_empty() {
        return Some(Err(
            "Type a command name after the slash; /help lists them.".into(),
        ));
    }
    let name = canonical_name(&word.to_lowercase());
    Some(build(&name, word, arg))
}

/// Splits `voice  analyzer x` into (`voice`, `analyzer x`).
fn split_word(body: &str) -> (&str, &str) {
    match body.find(char::is_whitespace) {
        Some(i) => (&body[..i], body[i..].trim()),
        None => (body, ""),
    }
}

fn canonical_name(lower: &str) -> String {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map_or(lower, |(_, name)| name)
        .to_owned()
}

fn build(name: &str, typed: &str, arg: &str) -> Result<SlashCommand, String> {
    let bare = |cmd: SlashCommand| -> Result<SlashCommand, String> {
        if arg.is_empty() {
            Ok(cmd)
        } else {
            Err(format!("/{typed} takes no argument."))
        }
    };
    match name {
        "voice" => free_arg(arg, "/voice needs a voice name, e.g. /voice analyzer.")
            .map(SlashCommand::Voice),
        "model" => free_arg(
            arg,
            "/model needs a model name, e.g. /model qwen2.5-coder:7b.",
        )
        .map(SlashCommand::Model),
        "theme" => free_arg(arg, "/theme needs a theme name.").map(SlashCommand::Theme),
        "mode" => parse_mode(arg),
        "new" => bare(SlashCommand::New),
        "retry" => bare(SlashCommand::Retry),
        "help" => bare(SlashCommand::Help),
        "quit" => bare(SlashCommand::Quit),
        "resume" => bare(SlashCommand::Resume),
        "good" => bare(SlashCommand::Good),
        "bad" => bare(SlashCommand::Bad),
        "quality" => bare(SlashCommand::Quality),
        "add" => paths(arg, "/add needs a file, e.g. /add src/main.rs.").map(SlashCommand::Add),
        "drop" => paths(arg, "/drop needs a file, e.g. /drop src/main.rs.").map(SlashCommand::Drop),
        "files" => bare(SlashCommand::Files),
        "edit" => Ok(SlashCommand::Edit(optional(arg))),
        "diff" => bare(SlashCommand::Diff),
        "undo" => forced(arg, "undo").map(|force| SlashCommand::Undo { force }),
        "redo" => forced(arg, "redo").map(|force| SlashCommand::Redo { force }),
        "commit" => Ok(SlashCommand::Commit(optional(arg))),
        "run" => run_argv(arg),
        "test" => bare(SlashCommand::Test),
        _ => Err(unknown(typed)),
    }
}

/// Space-separated paths, each without a leading `@`.
fn paths(arg: &str, missing: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = arg
        .split_whitespace()
        .map(|p| p.trim_start_matches('@').to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if list.is_empty() {
        Err(missing.to_owned())
    } else {
        Ok(list)
    }
}

/// `/run`'s words; there must be at least one.
fn run_argv(arg: &str) -> Result<SlashCommand, String> {
    let argv = super::run::argv::split(arg)?;
    if argv.is_empty() {
        return Err("/run needs a command, e.g. /run cargo check; /test runs the tests.".into());
    }
    Ok(SlashCommand::Run(argv))
}

/// An argument that may be left out.
fn optional(arg: &str) -> Option<String> {
    Some(arg.to_owned()).filter(|a| !a.is_empty())
}

/// `/undo` or `/undo force`.
fn forced(arg: &str, name: &str) -> Result<bool, String> {
    match arg.to_lowercase().as_str() {
        "" => Ok(false),
        "force" => Ok(true),
        _ => Err(format!(
            "/{name} takes only \"force\" (to overwrite files changed since), not \"{arg}\"."
        )),
    }
}

fn free_arg(arg: &str, missing: &str) -> Result<String, String> {
    if arg.is_empty() {
        Err(missing.to_owned())
    } else {
        Ok(arg.to_owned())
    }
}

fn parse_mode(arg: &str) -> Result<SlashCommand, String> {
    if arg.is_empty() {
        return Err("/mode needs auto, fast or quality.".into());
    }
    RouteChoice::from_name(arg)
        .map(SlashCommand::Mode)
        .ok_or_else(|| format!("/mode needs auto, fast or quality, not \"{arg}\"."))
}

/// The message for a name that is no command, pointing at the likeliest one.
fn unknown(typed: &str) -> String {
    // A path such as `/usr/bin/env` was almost certainly meant as text, so say how to send it.
    if typed.contains(['/', '.', '\\']) {
        return format!("/{typed} is not a command; start the line with // to send it as text.");
    }
    match nearest(&typed.to_lowercase()) {
        Some(name) => format!("Unknown command /{typed} — did you mean {name}?"),
        None => format!("Unknown command /{typed} — did you mean /help, which lists them all?"),
    }
}

/// The listed command closest to `word`: a unique prefix match first (`/res` → `/resume`),
/// else the smallest edit distance when it is small enough to be a typo.
fn nearest(word: &str) -> Option<&'static str> {
    let names = || COMMANDS.iter().map(|(name, _, _)| *name);
    let mut prefixed = names().filter(|n| n[1..].starts_with(word));
    if let (Some(only), None) = (prefixed.next(), prefixed.next()) {
        return Some(only);
    }
    let limit = 1 + word.chars().count() / 3;
    names()
        .map(|n| (crate::text::distance(word, &n[1..]), n))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Tab-completion candidates for the whole line, each a full replacement line.
///
/// While the command name is being typed the candidates are command names (with a trailing
/// space when the command takes an argument: `/vo` → `/voice `); after the name, the argument
/// (`/voice an` → `/voice analyzer`, `/mode f` → `/mode fast`). Matching is a case-insensitive
/// prefix. Lines that are not commands, and commands without known values, get none.
pub fn complete(line: &str, voices: &[String], themes: &[String]) -> Vec<String> {
    let Some(body) = line.trim_start().strip_prefix('/') else {
        return Vec::new();
    };
    if body.starts_with('/') {
        return Vec::new();
    }
    match body.find(char::is_whitespace) {
        None => complete_name(&body.to_lowercase()),
        Some(i) => complete_arg(&body[..i].to_lowercase(), &body[i..], voices, themes),
    }
}

fn complete_name(prefix: &str) -> Vec<String> {
    COMMANDS
        .iter()
        .filter(|(name, _, _)| name[1..].starts_with(prefix))
        .map(|(name, args, _)| {
            let space = if args.is_empty() { "" } else { " " };
            format!("{name}{space}")
        })
        .collect()
}

fn complete_arg(name: &str, rest: &str, voices: &[String], themes: &[String]) -> Vec<String> {
    let typed = rest.trim_start();
    // A second word (or a space after the first) means the argument is finished.
    if typed.contains(char::is_whitespace) {
        return Vec::new();
    }
    let modes: Vec<String> = RouteChoice::ALL
        .iter()
        .map(|c| c.label().to_owned())
        .collect();
    let force = vec!["force".to_owned()];
    let values: &[String] = match name {
        "voice" => voices,
        "theme" => themes,
        "mode" => &modes,
        "undo" | "redo" => &force,
        _ => return Vec::new(),
    };
    let typed = typed.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let candidate = format!("/{name} {value}");
        if value.to_lowercase().starts_with(&typed) && !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> SlashCommand {
        match parse(line) {
            Some(Ok(c)) => c,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    fn err(line: &str) -> String {
        match parse(line) {
            Some(Err(e)) => e,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn route_choice_cycles_and_names() {
        assert_eq!(RouteChoice::Auto.next(), RouteChoice::Fast);
        assert_eq!(RouteChoice::Fast.next(), RouteChoice::Quality);
        assert_eq!(RouteChoice::Quality.next(), RouteChoice::Auto);
        assert_eq!(RouteChoice::Quality.label(), "quality");
        assert_eq!(RouteChoice::from_name("FAST"), Some(RouteChoice::Fast));
        assert_eq!(RouteChoice::default(), RouteChoice::Auto);
    }

    #[test]
    fn non_commands_are_none() {
        assert_eq!(parse("hello"), None);
        assert_eq!(parse("//etc/hosts"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("a /mode fast"), None);
    }

    #[test]
    fn parses_every_command() {
        assert_eq!(
            ok("/voice analyzer"),
            SlashCommand::Voice("analyzer".into())
        );
        assert_eq!(
            ok("  /mode   Fast  "),
            SlashCommand::Mode(RouteChoice::Fast)
        );
        assert_eq!(
            ok("/model qwen2.5:7b"),
            SlashCommand::Model("qwen2.5:7b".into())
        );
        assert_eq!(
            ok("/theme Solarized Dark"),
            SlashCommand::Theme("Solarized Dark".into())
        );
        assert_eq!(ok("/NEW"), SlashCommand::New);
        assert_eq!(ok("/retry"), SlashCommand::Retry);
        assert_eq!(ok("/help"), SlashCommand::Help);
        assert_eq!(ok("/quit"), SlashCommand::Quit);
        assert_eq!(ok("/exit"), SlashCommand::Quit);
        assert_eq!(ok("/resume"), SlashCommand::Resume);
        assert_eq!(ok("/good"), SlashCommand::Good);
        assert_eq!(ok("/bad"), SlashCommand::Bad);
        assert_eq!(ok("/quality"), SlashCommand::Quality);
    }

    #[test]
    fn parses_the_edit_commands() {
        assert_eq!(ok("/edit"), SlashCommand::Edit(None));
        assert_eq!(
            ok("/edit  fix add in @app/calc.py "),
            SlashCommand::Edit(Some("fix add in @app/calc.py".into()))
        );
        assert_eq!(ok("/diff"), SlashCommand::Diff);
        assert_eq!(ok("/undo"), SlashCommand::Undo { force: false });
        assert_eq!(ok("/UNDO Force"), SlashCommand::Undo { force: true });
        assert_eq!(ok("/redo force"), SlashCommand::Redo { force: true });
        assert_eq!(ok("/commit"), SlashCommand::Commit(None));
        assert_eq!(
            ok("/commit Fix the sign in add"),
            SlashCommand::Commit(Some("Fix the sign in add".into()))
        );
        assert!(err("/undo now").contains("only \"force\""));
        assert_eq!(err("/diff 2"), "/diff takes no argument.");
        let none: Vec<String> = Vec::new();
        assert_eq!(complete("/undo f", &none, &none), names(&["/undo force"]));
        assert_eq!(complete("/di", &none, &none), names(&["/diff"]));
    }

    #[test]
    fn every_listed_command_parses() {
        for (name, args, _) in COMMANDS {
            // An optional argument ([force], [MESSAGE]) may be left out.
            let line = if args.is_empty() || args.starts_with('[') {
                name.to_string()
            } else {
                format!("{name} fast")
            };
            assert!(matches!(parse(&line), Some(Ok(_))), "{line}");
        }
    }

    #[test]
    fn argument_errors_are_sentences() {
        assert_eq!(err("/mode"), "/mode needs auto, fast or quality.");
        assert!(err("/mode slow").contains("\"slow\""));
        assert!(err("/voice").starts_with("/voice needs a voice name"));
        assert!(err("/model ").starts_with("/model needs"));
        assert!(err("/theme").starts_with("/theme needs"));
        assert_eq!(err("/new now"), "/new takes no argument.");
        assert!(err("/").contains("/help"));
    }

    #[test]
    fn unknown_commands_suggest_the_nearest() {
        assert!(err("/voise x").contains("did you mean /voice?"));
        assert!(err("/qiut").contains("did you mean /quit?"));
        assert!(err("/res").contains("did you mean /resume?"));
        assert!(err("/Retyr").contains("/retry"));
        let far = err("/bogus");
        assert!(far.contains("did you mean /help"), "{far}");
        assert!(far.contains("/bogus"));
        assert!(err("/usr/bin/env").contains("//"));
    }

    #[test]
    fn completes_command_names() {
        let none: Vec<String> = Vec::new();
        assert_eq!(complete("/vo", &none, &none), names(&["/voice "]));
        assert_eq!(complete("/VO", &none, &none), names(&["/voice "]));
        assert_eq!(complete("/mo", &none, &none), names(&["/mode ", "/model "]));
        assert_eq!(complete("/ne", &none, &none), names(&["/new"]));
        assert_eq!(complete("/", &none, &none).len(), COMMANDS.len());
        assert!(complete("/zz", &none, &none).is_empty());
        assert!(complete("hello", &none, &none).is_empty());
        assert!(complete("//vo", &none, &none).is_empty());
    }

    #[test]
    fn completes_arguments() {
        let voices = names(&["analyzer", "architect", "developer"]);
        let themes = names(&["dark", "light"]);
        assert_eq!(
            complete("/voice an", &voices, &themes),
            names(&["/voice analyzer"])
        );
        assert_eq!(
            complete("/voice A", &voices, &themes),
            names(&["/voice analyzer", "/voice architect"])
        );
        assert_eq!(complete("/voice ", &voices, &themes).len(), 3);
        assert_eq!(
            complete("/mode f", &voices, &themes),
            names(&["/mode fast"])
        );
        assert_eq!(
            complete("/MODE Q", &voices, &themes),
            names(&["/mode quality"])
        );
        assert_eq!(
            complete("/theme l", &voices, &themes),
            names(&["/theme light"])
        );
        assert!(complete("/model q", &voices, &themes).is_empty());
        assert!(complete("/voice an x", &voices, &themes).is_empty());
        assert!(complete("/new x", &voices, &themes).is_empty());
    }
}
