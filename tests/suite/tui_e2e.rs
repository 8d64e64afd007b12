//! End to end: the real binary in a real terminal (tmux), typed at with `send-keys` and
//! read with `capture-pane`, against fake servers — and against the real llama-server
//! (SmolLM2) that scripts/test.sh starts. Where tmux or that server is missing they say
//! SKIPPED, and fail under scripts/test.sh, which installs and starts both.

use crate::support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::protocol::*;
use support::Reply;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &std::path::Path, config: &std::path::Path, args: &[&str]) -> Option<Tmux> {
        if !support::e2e::tmux() {
            return None;
        }
        let socket = format!(
            "cc-e2e-{}-{}",
            std::process::id(),
            dir.file_name()?.to_string_lossy()
        );
        let bin = env!("CARGO_BIN_EXE_codecrucible");
        let mut cmd = format!(
            "env -u CODECRUCIBLE_LMSTUDIO_URL -u CODECRUCIBLE_OLLAMA_URL -u OLLAMA_HOST TERM=xterm-256color CODECRUCIBLE_CONFIG={} CODECRUCIBLE_DATA_DIR={} {bin}",
            config.display(),
            dir.join("data").display()
        );
        for a in args {
            cmd.push_str(&format!(" '{a}'"));
        }
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-s",
                "cc",
                // The test's directory is the workspace, not this repository.
                "-c",
                &dir.display().to_string(),
                "-x",
                "120",
                "-y",
                "40",
                &cmd,
            ])
            .status()
            .ok()?
            .success();
        assert!(ok, "tmux started");
        Some(Tmux { socket })
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["-L", &self.socket, "send-keys", "-t", "cc"];
        args.extend_from_slice(keys);
        let _ = Command::new("tmux").args(&args).status();
    }

    fn literal(&self, text: &str) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "cc", "-l", text])
            .status();
    }

    fn screen(&self) -> String {
        Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "cc"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Waits until every needle is on screen; returns the screen.
    fn wait_for(&self, needles: &[&str], limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            assert!(
                start.elapsed() < limit,
                "waited {limit:?} for {needles:?}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["-L", &self.socket, "has-session", "-t", "cc"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[test]
fn a_prompt_typed_in_the_app_streams_an_answer_with_its_route_and_resources() {
    let lm = fake_lmstudio(
        "qwen-coder-7b",
        &[
            "Here is a tokenizer:\n\n```rust\n",
            "pub fn tokenize(s: &str) -> Vec<String> {\n",
            "    s.split_whitespace().map(String::from).collect()\n}\n```\n\n",
            "It splits on whitespace and returns owned tokens.\n",
        ],
    );
    let ol = fake_ollama(&["qwen2.5-coder:32b"], &["unused"]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &lm.url(), &ol.url(), "");
    let Some(t) = Tmux::start(dir.path(), &config, &[]) else {
        return;
    };
    t.wait_for(
        &["Chat", "Routing", "Resources", "Input"],
        Duration::from_secs(20),
    );
    t.literal("implement a whitespace tokenizer in Rust");
    t.keys(&["Enter"]);
    let s = t.wait_for(
        &[
            "It splits on whitespace",
            "pub fn tokenize",
            "answer confidence",
        ],
        Duration::from_secs(20),
    );
    // The inspector names the route and the backend; the resource pane the servers.
    assert!(s.contains("generation") && s.contains("hybrid"), "{s}");
    assert!(s.contains("LM Studio up"), "{s}");
    t.wait_for(&["qwen2.5-coder:32b"], Duration::from_secs(15));
    // Ctrl+C twice quits and the terminal is given back.
    t.keys(&["C-c"]);
    t.keys(&["C-c"]);
    let start = Instant::now();
    while t.alive() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!t.alive(), "the app quit on two Ctrl+C");
}

#[test]
fn against_the_real_llama_server_with_ollama_down() {
    let Some(url) = support::e2e::real_server("fast") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &url, &refused_url(), "");
    let Some(t) = Tmux::start(dir.path(), &config, &["--fast", "--max-tokens", "40"]) else {
        return;
    };
    // The app opens although Ollama is down, and says how to start it.
    t.wait_for(&["Ollama down", "ollama serve"], Duration::from_secs(30));
    t.literal("Say hello in one short sentence.");
    t.keys(&["Enter"]);
    t.wait_for(&["done in", "tok/s"], Duration::from_secs(120));
    t.keys(&["C-d"]);
}

#[test]
fn a_session_survives_a_restart_and_is_found_resumed_and_carried_on() {
    let lm = fake_lmstudio("qwen-coder-7b", &["Use ", "a BTreeMap."]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &lm.url(), &refused_url(), "");
    let Some(t) = Tmux::start(dir.path(), &config, &["--fast"]) else {
        return;
    };
    t.wait_for(&["Input"], Duration::from_secs(20));
    t.literal("which map keeps its keys sorted?");
    t.keys(&["Enter"]);
    t.wait_for(&["Use a BTreeMap."], Duration::from_secs(20));
    t.keys(&["C-c"]);
    t.keys(&["C-c"]);
    let start = Instant::now();
    while t.alive() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(t);
    // Reopen, find it by a word of the prompt, resume it, ask a follow-up.
    let t = Tmux::start(dir.path(), &config, &["--fast"]).expect("tmux");
    t.wait_for(&["Input"], Duration::from_secs(20));
    t.keys(&["C-r"]);
    t.wait_for(&["History"], Duration::from_secs(10));
    t.literal("sorted");
    t.wait_for(
        &["which map keeps its keys sorted?", "2 msgs"],
        Duration::from_secs(10),
    );
    t.keys(&["Enter"]);
    t.wait_for(
        &["Carrying on session 1", "Use a BTreeMap."],
        Duration::from_secs(10),
    );
    t.literal("and a sorted set?");
    t.keys(&["Enter"]);
    let start = Instant::now();
    while lm.requests_to("/v1/chat/completions").len() < 2
        && start.elapsed() < Duration::from_secs(20)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = lm.requests_to("/v1/chat/completions")[1].json();
    let turns: Vec<String> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m["role"].as_str().unwrap_or(""),
                m["content"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        turns[1..],
        [
            "user: which map keeps its keys sorted?".to_owned(),
            "assistant: Use a BTreeMap.".to_owned(),
            "user: and a sorted set?".to_owned()
        ],
        "{turns:?}"
    );
}

/// One stored session as a user would compare it: each message's role, status, text,
/// server and model, then the kinds of routing decisions recorded, in order.
fn stored_rows(db: &std::path::Path) -> (String, Vec<String>, Vec<String>) {
    let store = codecrucible::store::Store::open(db).expect("the history database");
    let sessions = store.list_sessions(10).expect("sessions");
    assert_eq!(sessions.len(), 1, "one session in {}", db.display());
    let (head, messages) = store
        .session(sessions[0].id)
        .expect("read")
        .expect("the session");
    let messages = messages
        .iter()
        .map(|m| {
            format!(
                "{} {:?} {:?} {:?} {:?}",
                m.role, m.status, m.content, m.backend, m.model
            )
        })
        .collect();
    let decisions = store
        .decisions(sessions[0].id)
        .expect("decisions")
        .into_iter()
        .map(|d| d.kind.as_str().to_owned())
        .collect();
    (head.title, messages, decisions)
}

#[test]
fn the_app_the_headless_run_and_the_library_store_the_same_session() {
    // A hybrid request whose fast draft is cut short: it is escalated, so the session
    // holds a draft, an answer and every kind of routing decision.
    let lm = fake_lmstudio("qwen-coder-1.5b", &[]);
    let parts = lmstudio_stream(
        "qwen-coder-1.5b",
        &["fn tokenize(s: &str) -> Vec<", "String> {\n    let mut"],
        "length",
    );
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    let ol = fake_ollama(
        &["qwen2.5-coder:32b"],
        &["```rust\nfn tokenize(s: &str) -> Vec<String> {\n    s.split_whitespace().map(String::from).collect()\n}\n```\n"],
    );
    let prompt = "implement a whitespace tokenizer in Rust";
    let root = tempfile::tempdir().unwrap();
    let dirs = ["app", "headless", "library"].map(|n| {
        let d = root.path().join(n);
        std::fs::create_dir_all(d.join("data")).unwrap();
        d
    });
    let configs = dirs
        .clone()
        .map(|d| write_config(&d, &lm.url(), &ol.url(), ""));

    // The full-screen app, typed at in tmux.
    let Some(t) = Tmux::start(&dirs[0], &configs[0], &[]) else {
        return;
    };
    t.wait_for(&["Input"], Duration::from_secs(20));
    t.literal(prompt);
    t.keys(&["Enter"]);
    t.wait_for(
        &["split_whitespace", "escalated", "tok/s"],
        Duration::from_secs(30),
    );
    t.keys(&["C-c"]);
    t.keys(&["C-c"]);
    let start = Instant::now();
    while t.alive() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!t.alive(), "the app quit");
    drop(t);

    // The headless run.
    let out = Command::new(env!("CARGO_BIN_EXE_codecrucible"))
        .args(["-p", prompt])
        .env("CODECRUCIBLE_CONFIG", &configs[1])
        .env("CODECRUCIBLE_DATA_DIR", dirs[1].join("data"))
        .env_remove("CODECRUCIBLE_LMSTUDIO_URL")
        .env_remove("CODECRUCIBLE_OLLAMA_URL")
        .env_remove("OLLAMA_HOST")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    // The library, with a history database of its own.
    let db = dirs[2].join("data").join("history.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = std::sync::Arc::new(codecrucible::store::Store::open(&db).unwrap());
        let mut config = codecrucible::Config::default();
        config.hybrid.lm_studio.endpoint = lm.url();
        config.hybrid.ollama.endpoint = ol.url();
        let client = codecrucible::HybridClient::with_store(config, store);
        let answer = client
            .ask(codecrucible::Request::new(prompt))
            .await
            .unwrap();
        assert!(answer.escalated, "{answer:?}");
    });

    let rows = dirs.map(|d| stored_rows(&d.join("data").join("history.db")));
    assert_eq!(rows[0].0, prompt, "titled after the prompt");
    assert!(
        rows[0].1.len() == 3 && rows[0].1[1].contains("Draft"),
        "the prompt, the draft and the answer: {:#?}",
        rows[0].1
    );
    for k in ["route", "confidence", "escalate", "done", "learning"] {
        assert!(rows[0].2.iter().any(|d| d == k), "{k}: {:?}", rows[0].2);
    }
    assert_eq!(rows[0], rows[1], "the app and the headless run");
    assert_eq!(rows[0], rows[2], "the app and the library");
}

#[test]
fn the_at_list_offers_a_workspace_file_enter_inserts_it_and_the_inspector_shows_what_was_sent() {
    let lm = fake_lmstudio("qwen-coder-7b", &["The pool never releases its lock.\n"]);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("shop-api");
    std::fs::create_dir_all(repo.join("src/store")).unwrap();
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(
        repo.join("src/pool.rs"),
        "pub struct Pool { lock: Mutex<()> }\n",
    )
    .unwrap();
    std::fs::write(repo.join("src/store/db.rs"), "pub fn open() {}\n").unwrap();
    let config = write_config(dir.path(), &lm.url(), &refused_url(), "");
    let repo_arg = repo.display().to_string();
    let Some(t) = Tmux::start(dir.path(), &config, &["--fast", "-C", &repo_arg]) else {
        return;
    };
    t.wait_for(&["Input", "⌂ shop-api"], Duration::from_secs(20));
    t.literal("where is the deadlock in @poo");
    // The list opens over the chat as the word is typed; the file list is read in the
    // background, so it may say "reading the workspace…" first.
    let s = t.wait_for(
        &["Tab/Enter insert", "│ src/pool.rs"],
        Duration::from_secs(20),
    );
    assert!(!s.contains("src/store/db.rs"), "only what matches: {s}");
    // Enter inserts the path and closes the list; it sends nothing yet.
    t.keys(&["Enter"]);
    let s = t.wait_for(
        &["│where is the deadlock in @src/pool.rs "],
        Duration::from_secs(10),
    );
    assert!(!s.contains("Tab/Enter insert"), "the list closed: {s}");
    assert!(lm.requests_to("/v1/chat/completions").is_empty());
    t.keys(&["Enter"]);
    t.wait_for(
        &["never releases its lock", "context", "1 file"],
        Duration::from_secs(20),
    );
    let body = lm.requests_to("/v1/chat/completions")[0].json();
    // The files go after the system prompt, before the conversation.
    let sent = body["messages"].as_array().unwrap()[0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        sent.contains("src/pool.rs (1 line)") && sent.contains("Mutex<()>"),
        "{sent}"
    );
}

#[test]
fn an_edit_is_previewed_applied_with_a_and_undone_with_slash_undo() {
    let original = "def add(a, b):\n    return a - b\n";
    let answer = [
        "The sign is wrong.\n\napp/calc.py\n```python\n<<<<<<< SEARCH\n",
        "    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n",
    ];
    let lm = fake_lmstudio("qwen-coder-7b", &answer);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("calc-app");
    std::fs::create_dir_all(repo.join("app")).unwrap();
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(&repo)
        .status();
    if !git.is_ok_and(|s| s.success()) {
        std::fs::create_dir_all(repo.join(".git")).unwrap();
    }
    let file = repo.join("app/calc.py");
    std::fs::write(&file, original).unwrap();
    let config = write_config(dir.path(), &lm.url(), &refused_url(), "");
    let repo_arg = repo.display().to_string();
    let Some(t) = Tmux::start(dir.path(), &config, &["--fast", "-C", &repo_arg]) else {
        return;
    };
    t.wait_for(&["Input", "⌂ calc-app"], Duration::from_secs(20));
    t.literal("/edit fix add in app/calc.py");
    t.keys(&["Enter"]);
    // The diff view opens by itself with the real diff once the engine has read it.
    t.wait_for(
        &[
            "[x] app/calc.py · 1 hunk · +1 -1",
            "-    return a - b",
            "+    return a + b",
            "a applies",
        ],
        Duration::from_secs(20),
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        original,
        "nothing is written before a"
    );
    t.keys(&["a"]);
    t.wait_for(&["applied 1 hunk in 1 file"], Duration::from_secs(20));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "def add(a, b):\n    return a + b\n"
    );
    t.literal("/undo");
    t.keys(&["Enter"]);
    t.wait_for(&["undone: app/calc.py restored"], Duration::from_secs(20));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        original.as_bytes(),
        "the original bytes are back"
    );
}

#[test]
fn slash_run_streams_a_command_from_the_sandbox_and_the_system_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("run-app");
    std::fs::create_dir_all(&repo).unwrap();
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(&repo)
        .status();
    if !git.is_ok_and(|s| s.success()) {
        std::fs::create_dir_all(repo.join(".git")).unwrap();
    }
    let config = write_config(dir.path(), &refused_url(), &refused_url(), "");
    let repo_arg = repo.display().to_string();
    let Some(t) = Tmux::start(dir.path(), &config, &["-C", &repo_arg]) else {
        return;
    };
    t.wait_for(
        &["Input", "⌂ run-app", "sandbox ask"],
        Duration::from_secs(20),
    );
    t.literal(r#"/run sh -c "echo hello-from-sandbox; exit 3""#);
    t.keys(&["Enter"]);
    t.wait_for(
        &[
            "$ sh -c 'echo hello-from-sandbox; exit 3' · sandboxed",
            "│ hello-from-sandbox",
            "failed: exit 3",
        ],
        Duration::from_secs(30),
    );
    t.literal(r#"/run sh -c "touch /etc/cc-e2e""#);
    t.keys(&["Enter"]);
    t.wait_for(
        &["Read-only file system", "failed: exit 1"],
        Duration::from_secs(30),
    );
    assert!(!std::path::Path::new("/etc/cc-e2e").exists());
}
