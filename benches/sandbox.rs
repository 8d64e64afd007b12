//! The sandbox's overhead: `true` run through `sandbox::run` in bubblewrap against the same
//! run unconfined (`mode = off`: the same limits, session and output capture), alternated
//! so that both see the same machine load. Target: the median overhead under 20 ms.

use std::sync::Arc;
use std::time::{Duration, Instant};

use codecrucible::config::Config;
use codecrucible::sandbox::{self, Mode, Spec};

fn time(spec: &Spec) -> Duration {
    let start = Instant::now();
    let out = sandbox::run(spec, Arc::new(|_, _| {})).expect("the run starts");
    assert_eq!(out.exit, sandbox::Exit::Code(0), "true succeeds");
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect("git dir");
    let config = Config::default();
    let ws = dir.path().to_path_buf();
    let boxed = Spec::from_config(&config.sandbox, vec!["true".into()], ws.clone(), ws)
        .expect("the default sandbox settings");
    if let Err(e) = sandbox::profile::available() {
        println!("sandbox: SKIPPED: {e}");
        return;
    }
    let bare = Spec {
        mode: Mode::Off,
        ..boxed.clone()
    };
    let n: usize = std::env::var("SANDBOX_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    // Warm both paths (the bubblewrap probe runs once per process).
    time(&boxed);
    time(&bare);
    let (mut b, mut u) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        b.push(time(&boxed));
        u.push(time(&bare));
    }
    let overhead: Vec<Duration> = b
        .iter()
        .zip(&u)
        .map(|(b, u)| b.saturating_sub(*u))
        .collect();
    let (mb, mu, mo) = (median(b.clone()), median(u.clone()), median(overhead));
    println!("sandbox: {n} runs of `true` each, alternated");
    println!(
        "  bubblewrap  median {:7.2} ms  max {:7.2} ms",
        ms(mb),
        ms(*b.iter().max().unwrap_or(&mb))
    );
    println!(
        "  unconfined  median {:7.2} ms  max {:7.2} ms",
        ms(mu),
        ms(*u.iter().max().unwrap_or(&mu))
    );
    println!("  overhead    median {:7.2} ms  (target < 20 ms)", ms(mo));
}
