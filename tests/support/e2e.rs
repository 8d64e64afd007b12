//! What the end-to-end tests need from the machine (tmux, the real llama-servers) and what
//! they do when it is missing: under scripts/test.sh, and so in CI, that is a failure
//! (`CODECRUCIBLE_REQUIRE_E2E=1`); on a developer's machine they say SKIPPED and pass.
#![allow(dead_code)]

/// The variable scripts/test.sh sets so that a skipped end-to-end test fails the suite.
pub const REQUIRE: &str = "CODECRUCIBLE_REQUIRE_E2E";

/// Gives up on an end-to-end test that cannot run here: panics when the suite requires
/// every end-to-end test, else says SKIPPED (and why) so it is not mistaken for a pass.
pub fn skip(why: &str) {
    if std::env::var(REQUIRE).is_ok_and(|v| v == "1") {
        panic!("{why}: {REQUIRE}=1 requires every end-to-end test to run");
    }
    eprintln!("SKIPPED: {why}");
}

/// The URL of a real llama-server started by `scripts/real-server.sh start <which>`:
/// `fast` (SmolLM2-135M-Instruct) or `quality` (gemma-3 270M). scripts/test.sh exports
/// both; otherwise a server the script left running is used. `None` after [`skip`].
pub fn real_server(which: &str) -> Option<String> {
    let var = match which {
        "quality" => "CODECRUCIBLE_QUALITY_SERVER_URL",
        _ => "CODECRUCIBLE_REAL_SERVER_URL",
    };
    if let Some(url) = std::env::var(var).ok().filter(|u| !u.is_empty()) {
        return Some(url);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/real-server.sh");
    let out = std::process::Command::new("bash")
        .args([script, "url", which])
        .output()
        .ok();
    if let Some(out) = out.filter(|o| o.status.success()) {
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !url.is_empty() {
            return Some(url);
        }
    }
    skip(&format!(
        "no real {which} server ({var} is not set); start one with `scripts/real-server.sh start {which}`"
    ));
    None
}

/// Whether tmux can be run; [`skip`]s when it cannot.
pub fn tmux() -> bool {
    let ok = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip("tmux is not installed (scripts/test.sh installs it)");
    }
    ok
}
