//! The real llama-servers the benches measure against, started (or reused) by
//! `scripts/real-server.sh`, which installs them on first use.

use std::process::Command;

/// The URL of the running `which` server (`fast`: SmolLM2-135M-Instruct; `quality`:
/// gemma-3 270M), started if need be. `Err` is why there is none.
pub fn start(which: &str) -> Result<String, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/real-server.sh");
    let out = Command::new("bash")
        .args([script, "start", which])
        .output()
        .map_err(|e| format!("scripts/real-server.sh could not run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "scripts/real-server.sh start {which} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
