//! Files that hold credentials. They are never attached unless named explicitly, and then
//! only after the user says yes (headless: `--allow-secrets`), never auto-attached, and
//! never put in the repository map.

/// Whether the file at workspace-relative `path` looks like it holds a secret, by its name:
/// `.env*`, `*.pem`, `*.key`, `id_*` (SSH keys), `*.p12`/`*.pfx`, Java keystores, and the
/// credentials files of common tools.
pub fn is_secret(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    const NAMES: &[&str] = &[
        ".netrc",
        ".pgpass",
        ".htpasswd",
        ".npmrc",
        ".pypirc",
        ".git-credentials",
        ".dockercfg",
    ];
    const EXTENSIONS: &[&str] = &[
        ".pem",
        ".key",
        ".p12",
        ".pfx",
        ".jks",
        ".keystore",
        ".ppk",
        ".asc",
        ".gpg",
    ];
    lower.starts_with(".env")
        || lower.starts_with("id_")
        || lower.starts_with("credentials")
        || lower.starts_with(".credentials")
        || lower.starts_with("secrets.")
        || NAMES.contains(&lower.as_str())
        || EXTENSIONS.iter().any(|e| lower.ends_with(e))
        || in_secret_dir(path)
}

/// Inside `.ssh/`, `.aws/`, `.gnupg/` or `.docker/`: everything there is a credential.
fn in_secret_dir(path: &str) -> bool {
    path.split(['/', '\\'])
        .rev()
        .skip(1)
        .any(|dir| matches!(dir, ".ssh" | ".aws" | ".gnupg" | ".docker"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_recognised_by_name_wherever_they_are() {
        for p in [
            ".env",
            ".env.local",
            "config/.env.production",
            "certs/server.pem",
            "tls/server.KEY",
            "id_rsa",
            "keys/id_ed25519.pub",
            "cert.p12",
            "deploy/credentials.json",
            "credentials",
            ".aws/config",
            "home/.ssh/known_hosts",
            ".netrc",
            ".git-credentials",
        ] {
            assert!(is_secret(p), "{p}");
        }
        for p in [
            "src/env.rs",
            "src/keyboard.rs",
            "environment.md",
            "src/pool.rs",
            "docs/keys.md",
            "src/key.rs.bak",
            "monkey.py",
        ] {
            assert!(!is_secret(p), "{p}");
        }
    }
}
