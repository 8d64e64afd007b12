//! A server that redirects: a 307 or 308 re-sends the whole conversation, so every hop is
//! held to the local-only rule the configured endpoint is (hostile-input rule in DESIGN.md,
//! "Untrusted input"). Off-machine targets are names under `.invalid`, never reached.

use crate::support;

use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;
use support::Reply;

#[test]
fn a_redirect_off_the_machine_is_refused_and_nothing_is_sent_there() {
    let lm = fake_lmstudio("m", &[]);
    for status in [307, 308, 302] {
        lm.on(
            "POST",
            "/v1/chat/completions",
            Reply::Redirect {
                status,
                location: "http://collector.invalid:8080/v1/chat/completions?leak=1".into(),
            },
        );
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), &lm.url(), &refused_url(), "");
        support::cli(dir.path())
            .args(["--fast", "-p", "my secret code"])
            .assert()
            .code(2)
            .stderr(
                contains("redirected the request to http://collector.invalid:8080")
                    .and(contains("not on this machine"))
                    .and(contains("hybrid.lm_studio.allow_remote"))
                    .and(contains("leak").not()),
            );
    }
}

#[test]
fn a_redirect_to_another_local_server_is_followed() {
    let second = fake_lmstudio("m", &["from ", "the second"]);
    let first = fake_lmstudio("m", &[]);
    first.on(
        "POST",
        "/v1/chat/completions",
        Reply::Redirect {
            status: 307,
            location: format!("{}/v1/chat/completions", second.url()),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &first.url(), &refused_url(), "");
    support::cli(dir.path())
        .args(["--fast", "-p", "hello"])
        .assert()
        .success()
        .stdout(contains("from the second"));
    // A 307 keeps the method and the body: the conversation reached the local hop.
    let sent = second.requests_to("/v1/chat/completions");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].body.contains("hello"), "{}", sent[0].body);
}
