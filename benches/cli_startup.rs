//! Whole-command timings of the real binary: `--help` (target < 100 ms) and `doctor`
//! against refused ports (target < 1.5 s).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn time(args: &[&str], envs: &[(&str, String)], n: usize) -> (Duration, Duration) {
    let bin = env!("CARGO_BIN_EXE_codecrucible");
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let mut c = Command::new(bin);
            c.args(args).stdout(Stdio::null()).stderr(Stdio::null());
            for (k, val) in envs {
                c.env(k, val);
            }
            let start = Instant::now();
            c.status().expect("run codecrucible");
            start.elapsed()
        })
        .collect();
    v.sort_unstable();
    (v[v.len() / 2], v[v.len() - 1])
}

fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn main() {
    let dir = std::env::temp_dir().join("codecrucible-bench");
    let envs = vec![
        (
            "CODECRUCIBLE_CONFIG",
            dir.join("none.toml").display().to_string(),
        ),
        ("CODECRUCIBLE_DATA_DIR", dir.display().to_string()),
        (
            "CODECRUCIBLE_LMSTUDIO_URL",
            format!("http://localhost:{}", refused_port()),
        ),
        (
            "CODECRUCIBLE_OLLAMA_URL",
            format!("http://localhost:{}", refused_port()),
        ),
    ];
    let (m, max) = time(&["--help"], &envs, 50);
    println!(
        "--help               : median {:>7.1} ms   max {:>7.1} ms   (target < 100 ms)",
        ms(m),
        ms(max)
    );
    let (m, max) = time(&["doctor"], &envs, 20);
    println!(
        "doctor, refused ports: median {:>7.1} ms   max {:>7.1} ms   (target < 1500 ms)",
        ms(m),
        ms(max)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
