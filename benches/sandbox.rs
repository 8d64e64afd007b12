//! The sandbox's overhead: `true` run through `sandbox::run` in bubblewrap, and in the
//! Landlock fallback, against `true` spawned bare (`std::process::Command`, its output
//! piped and read), alternated so that all see the same machine load. Target: the median
//! overhead under 20 ms.

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

fn time_bare() -> Duration {
    let start = Instant::now();
    let out = std::process::Command::new("true")
        .output()
        .expect("true starts");
    assert!(out.status.success());
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
        println!("sandbox: SKIPPED: {}", e.sentence());
        return;
    }
    let landlock = Spec {
        mode: Mode::Landlock,
        ..boxed.clone()
    };
    let with_landlock = sandbox::landlock::abi().is_some();
    let n: usize = std::env::var("SANDBOX_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    // Warm every path (the bubblewrap probe runs once per process).
    time(&boxed);
    time_bare();
    let (mut b, mut l, mut u) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        b.push(time(&boxed));
        if with_landlock {
            l.push(time(&landlock));
        }
        u.push(time_bare());
    }
    let over = |arm: &[Duration]| {
        median(
            arm.iter()
                .zip(&u)
                .map(|(a, u)| a.saturating_sub(*u))
                .collect(),
        )
    };
    let line = |name: &str, arm: &[Duration]| {
        let m = median(arm.to_vec());
        println!(
            "  {name:<11} median {:7.2} ms  max {:7.2} ms",
            ms(m),
            ms(*arm.iter().max().unwrap_or(&m))
        );
    };
    println!("sandbox: {n} runs of `true` each, alternated");
    line("bubblewrap", &b);
    if with_landlock {
        line("landlock", &l);
    }
    line("bare", &u);
    println!(
        "  overhead    bubblewrap median {:7.2} ms  (target < 20 ms)",
        ms(over(&b))
    );
    if with_landlock {
        println!(
            "  overhead    landlock   median {:7.2} ms  (target < 20 ms)",
            ms(over(&l))
        );
    }
}
