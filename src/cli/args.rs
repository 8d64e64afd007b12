//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::store::Verdict;

const EXAMPLES: &str = "\
Examples:
  codecrucible                          open the full-screen app
  codecrucible -p \"write a haiku about borrowck\"
  cat err.log | codecrucible -p \"explain this error\"
  codecrucible -p --analyze \"find the race in src/pool.rs\" > review.md
  codecrucible --json -p \"hello\"        one JSON event per line
  codecrucible route \"why does this deadlock?\"  show where a prompt would go, and why
  codecrucible --voice architect -p \"how should we split this service?\"
  codecrucible --apply -p \"fix add in @app/calc.py\"  write the change, then:
  codecrucible undo                     restore it (`redo` writes it again)
  codecrucible doctor                   check that LM Studio and Ollama answer
  codecrucible system vram --status     GPU memory, CPU/memory load, loaded models
  codecrucible config set hybrid.routing.escalationThreshold 0.8

Exit codes: 0 done, 1 the request failed, 2 usage or config error, 130 interrupted.";

/// CodeCrucible: a coding assistant that routes each request between your local LLM
/// servers: LM Studio (fast) and Ollama (quality).
#[derive(Debug, Parser)]
#[command(name = "codecrucible", version, after_help = EXAMPLES)]
pub struct Cli {
    /// The prompt; `-` reads it from stdin. Without one, the full-screen app opens.
    pub prompt: Option<String>,

    /// Print the answer and exit (headless). Implied when stdout is not a terminal.
    #[arg(short = 'p', long = "print")]
    pub print: bool,

    /// Print every event as one JSON object per line instead of plain text.
    #[arg(long)]
    pub json: bool,

    /// Use LM Studio (the fast server) only.
    #[arg(long, conflicts_with_all = ["analyze", "backend"])]
    pub fast: bool,

    /// Use Ollama (the quality server) only.
    #[arg(long, conflicts_with = "backend")]
    pub analyze: bool,

    /// Which server answers: lmstudio, ollama, hybrid (fast, escalated when weak), or auto.
    #[arg(long, value_enum, value_name = "BACKEND")]
    pub backend: Option<BackendArg>,

    /// The model to use on the selected server; it must exist there.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,

    /// The voice (archetype) to answer in: explorer, analyzer, developer, implementor,
    /// security, architect, or one of yours. Also `ui.voice` in the config.
    #[arg(long, global = true, value_name = "NAME")]
    pub voice: Option<String>,

    /// Carry on the stored session ID: its earlier turns are sent as the conversation.
    #[arg(long, value_name = "ID", conflicts_with = "continue_latest")]
    pub resume: Option<i64>,

    /// Carry on the most recent session.
    #[arg(long = "continue", short = 'c')]
    pub continue_latest: bool,

    /// The workspace: the git top-level above DIR (default: the current directory). Its
    /// files can be attached with @path, --file or by naming them in the prompt.
    #[arg(short = 'C', long = "workspace", value_name = "DIR", global = true)]
    pub workspace: Option<PathBuf>,

    /// Attach a file (PATH, or PATH:40-90 for some of its lines) or a folder's files;
    /// repeatable.
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<String>,

    /// Take a file or folder out of the session's attached files (with --continue or
    /// --resume); repeatable.
    #[arg(long = "drop", value_name = "PATH")]
    pub drop: Vec<String>,

    /// Send files that look like they hold secrets (.env*, *.pem, *.key, id_*, ...) when
    /// they are named; without it they are refused.
    #[arg(long)]
    pub allow_secrets: bool,

    /// Ask for changes to the workspace's files: the model writes edit blocks, and their
    /// unified diff goes to stdout (the answer's prose to stderr). Nothing is written.
    #[arg(long)]
    pub edit: bool,

    /// As --edit, and write the changes (all files or none), printing their diff. Each
    /// change set is journaled in the history database.
    #[arg(long)]
    pub apply: bool,

    /// Stop the answer after this many tokens.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u32>,

    /// Ask the server afresh even if the response cache has an answer to this exact
    /// conversation (regenerate).
    #[arg(long)]
    pub no_cache: bool,

    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Flags that apply to every subcommand.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Use this config file instead of the default one (also CODECRUCIBLE_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// LM Studio's (or any OpenAI-compatible server's) base URL.
    #[arg(long, global = true, value_name = "URL")]
    pub lmstudio_url: Option<String>,

    /// Ollama's base URL (overrides OLLAMA_HOST and the config file).
    #[arg(long, global = true, value_name = "URL")]
    pub ollama_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    Lmstudio,
    Ollama,
    /// Fast first, scored, escalated to the quality server when weak.
    Hybrid,
    Auto,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Read and change settings.
    Config {
        #[command(subcommand)]
        action: ConfigCmd,
    },
    /// Print the routing decision for a prompt, without calling any server.
    Route {
        /// The prompt; `-` reads it from stdin.
        prompt: String,
        /// Print the decision as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Judge an answer to a prompt as a hybrid draft is judged, without calling any server:
    /// the confidence, each signal, and whether it would escalate. The draft's own examples
    /// run in the sandbox unless --no-run.
    Judge {
        /// The prompt the answer replies to.
        prompt: String,
        /// A file holding the answer; `-` reads it from stdin.
        answer: String,
        /// The task type (format, edit, generation, …); by default, the router's reading.
        #[arg(long, value_name = "TYPE")]
        task: Option<String>,
        /// How the answer ended, as the server said: `stop` or `length`.
        #[arg(long, value_name = "REASON")]
        finish_reason: Option<String>,
        /// Do not run the answer's examples.
        #[arg(long)]
        no_run: bool,
        /// Print the judgement as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Browse, search, export and delete stored sessions.
    Sessions {
        #[command(subcommand)]
        action: SessionsCmd,
    },
    /// Rate a session's latest answer: good, bad, or quality (it should have gone to the
    /// quality server). Feeds the router's learning.
    Feedback {
        /// The session, as `sessions list` and each run's status line show it.
        session: i64,
        #[arg(value_enum)]
        verdict: Verdict,
    },
    /// Request counts, response times, success and escalation rates, from the history.
    Metrics {
        #[arg(long)]
        json: bool,
        /// Only the last DURATION, e.g. 30m, 24h, 7d.
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
    },
    /// List the voices, with their routing bias.
    Voices {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the keys in effect: every action's keys, per context. Change them in the
    /// config file's [keys.global], [keys.input], [keys.chat], [keys.code] and
    /// [keys.browser] tables.
    Keys {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check that each configured server answers, and say how to fix what does not.
    Doctor {
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a command in the workspace, sandboxed (bubblewrap: no network, the system
    /// read-only, your home hidden, the workspace writable but its .git read-only, with
    /// the [sandbox] limits). Its output streams; the exit code is the command's, 124 when
    /// it ran out of time, 125 when it could not be run.
    Run {
        /// Kill it (and everything it started) after this many seconds (default:
        /// sandbox.wall_secs).
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
        /// Run it unconfined (limits still apply); said every time.
        #[arg(long)]
        no_sandbox: bool,
        /// The command and its arguments, after `--`.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// The audit trail: every command run, file written, undo, config change and
    /// learning reset, oldest first.
    Audit {
        #[arg(long)]
        json: bool,
        /// Only the last DURATION, e.g. 30m, 24h, 7d.
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Only this session's operations.
        #[arg(long, value_name = "ID")]
        session: Option<i64>,
        /// Check that no entry was changed or removed (each carries the previous one's
        /// hash); exits 1 when the chain is broken.
        #[arg(long, conflicts_with_all = ["since", "session"])]
        verify: bool,
        /// At most this many entries (the newest).
        #[arg(long, default_value_t = 200)]
        limit: usize,
    },
    /// Restore the files of the newest change set applied in this workspace (--apply, or
    /// `a` in the app). Run it again to go further back.
    Undo(JournalArgs),
    /// Write again the change set most recently undone.
    Redo(JournalArgs),
    /// This machine's resources: GPU memory, CPU and memory load, and what each server
    /// has loaded.
    System {
        #[command(subcommand)]
        action: SystemCmd,
    },
}

/// `undo` and `redo`.
#[derive(Debug, Args)]
pub struct JournalArgs {
    /// Only change sets made in this stored session.
    #[arg(long, value_name = "ID")]
    pub session: Option<i64>,
    /// Overwrite files changed since the change set was written (or undone).
    #[arg(long)]
    pub force: bool,
    /// List the workspace's change sets instead, newest first.
    #[arg(long, conflicts_with_all = ["session", "force"])]
    pub list: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SystemCmd {
    /// GPU memory per device, CPU and memory load, and each server's loaded models.
    ///
    /// A status report: it exits 0 even when a server is down or there is no GPU, and 2
    /// only for bad usage or a bad config. Sizes in `--json` are bytes.
    Vram {
        /// Print the status report (what `vram` does; the flag is accepted for clarity).
        #[arg(long)]
        status: bool,
        /// Print the report as one JSON object, sizes in bytes.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print a setting's effective value.
    Get { key: String },
    /// Change a setting in your config file (camelCase keys work too).
    Set { key: String, value: String },
    /// Remove a setting from your config file, so the default applies.
    Reset { key: String },
    /// Print every effective setting (secrets redacted).
    Show,
    /// Print the path of the config file in effect.
    Path,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCmd {
    /// The newest sessions first.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One session with every message (drafts and partial answers marked).
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over every stored message.
    Search {
        text: String,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Print a session as Markdown or JSON.
    Export {
        id: i64,
        #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
        format: ExportFormat,
    },
    /// Delete a session.
    Delete { id: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Markdown,
    Json,
}

/// The store's verdict, as `feedback`'s argument: `good`, `bad` or `quality`.
impl ValueEnum for Verdict {
    fn value_variants<'a>() -> &'a [Self] {
        &Verdict::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}
