//! Session store at scale (not run in CI): 10,000 sessions and 1,000,000 messages of 300
//! bytes. Targets: newest 100 sessions ≤ 20 ms; a rare-term full-text search, LIMIT 50,
//! ≤ 50 ms; opening a 1,000-message session ≤ 30 ms. The database is built once in
//! target/store-scale/ and reused.

use std::path::Path;
use std::time::{Duration, Instant};

use codecrucible::store::Store;
use rusqlite::{params, Connection};

const SESSIONS: i64 = 10_000;
const MESSAGES: i64 = 1_000_000;
const BIG_SESSION_MESSAGES: i64 = 1_000;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/store-scale");
    let path = dir.join("history.db");
    if !path.exists() {
        std::fs::create_dir_all(&dir).expect("bench dir");
        let started = Instant::now();
        drop(Store::open(&path).expect("schema"));
        fill(&path);
        println!(
            "built {SESSIONS} sessions / {MESSAGES} messages in {:.0?}",
            started.elapsed()
        );
    }
    let store = Store::open(&path).expect("open");
    report("newest 100 sessions", 20, || {
        assert_eq!(store.list_sessions(100).expect("list").len(), 100);
    });
    report("rare-term search, LIMIT 50", 50, || {
        assert!(!store.search("zanzibarquux", 50).expect("search").is_empty());
    });
    report("open a 1,000-message session", 30, || {
        let (_, msgs) = store.session(1).expect("read").expect("exists");
        assert_eq!(msgs.len() as i64, BIG_SESSION_MESSAGES);
    });
}

fn report(what: &str, target_ms: u64, mut f: impl FnMut()) {
    f(); // warm the page cache, as a running app would be
    let mut times: Vec<Duration> = (0..30)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort_unstable();
    let median = times[times.len() / 2];
    println!(
        "{what:<32} median {:>8.2} ms  (target ≤ {target_ms} ms)",
        median.as_secs_f64() * 1000.0
    );
}

/// Session 1 holds 1,000 messages; the rest are spread over the other sessions. A few
/// messages carry a rare word for the search.
fn fill(path: &Path) {
    let mut conn = Connection::open(path).expect("open for filling");
    let tx = conn.transaction().expect("transaction");
    {
        let mut session = tx
            .prepare("INSERT INTO sessions (id, created_at, updated_at, title, voice) VALUES (?1, ?2, ?2, ?3, NULL)")
            .expect("prepare");
        for id in 1..=SESSIONS {
            session
                .execute(params![
                    id,
                    id * 1000,
                    format!("session {id} about the billing pipeline")
                ])
                .expect("session");
        }
        let mut message = tx
            .prepare("INSERT INTO messages (session_id, role, content, status, created_at, updated_at) VALUES (?1, ?2, ?3, 'complete', ?4, ?4)")
            .expect("prepare");
        let filler = "the quick brown fox refactors the billing pipeline while the borrow checker watches closely and the tests keep passing on every commit to main; ";
        for n in 0..MESSAGES {
            let session_id = if n < BIG_SESSION_MESSAGES {
                1
            } else {
                2 + n % (SESSIONS - 1)
            };
            let mut text = format!("message {n}: ");
            while text.len() < 300 {
                text.push_str(filler);
            }
            text.truncate(300);
            if n % 50_000 == 7 {
                text.replace_range(0..13, "zanzibarquux ");
            }
            let role = if n % 2 == 0 { "user" } else { "assistant" };
            message
                .execute(params![session_id, role, text, n])
                .expect("message");
        }
    }
    tx.commit().expect("commit");
}
