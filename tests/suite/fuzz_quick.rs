//! The fuzz targets' checks (fuzz/src/lib.rs, shared with the coverage-guided targets that
//! `scripts/fuzz.sh` runs) on a bounded number of random inputs, on 10 MB lines and bombs,
//! and on every committed input: the seeds in fuzz/corpus/ and the inputs that once failed
//! in fuzz/regressions/.

#[path = "../../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

use harness::{plain, repeated};
use proptest::prelude::*;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 7] = [
    ("sse", harness::sse),
    ("ndjson", harness::ndjson),
    ("config", harness::config),
    ("confidence", harness::confidence),
    ("fence", harness::fence),
    ("markdown", harness::markdown),
    ("terminal", harness::terminal),
];

/// 10 MB: the size of line the stream decoders must survive.
const BIG: usize = 10 << 20;
/// Past the engine's 256 KiB scoring cut (src/engine/request.rs, SCORE_MAX_BYTES) and deep
/// enough to overflow a recursive parser; the fuzz runs go to 12 MiB, which takes a debug
/// build too long for every test run.
const LARGE: usize = 1 << 20;

#[test]
fn every_committed_seed_and_regression_passes() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut ran = 0;
    for (name, target) in TARGETS {
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(name)) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("readable directory").path();
                let bytes = std::fs::read(&path).expect("readable input");
                eprintln!("{name}: {}", path.display());
                target(&bytes);
                ran += 1;
            }
        }
    }
    assert!(ran >= TARGETS.len(), "only {ran} committed inputs found");
}

#[test]
fn ten_megabyte_lines_trip_the_stream_caps() {
    // Mixed read sizes; the harness checks that the cap tripped.
    harness::sse(&[&[3, 7][..], &repeated(b"data: ", b"a", BIG, b"\n\n")].concat());
    harness::sse(&[&[3, 8][..], &repeated(b": ", b"\xff", BIG / 2, b"")].concat());
    let line = br#"{"message":{"content":""#;
    harness::ndjson(&[&[3, 7][..], &repeated(line, b"ab", BIG, b"\"}}\n")].concat());
}

#[test]
fn the_scorer_survives_bombs_and_large_answers() {
    let score = |answer: Vec<u8>| harness::confidence(&[&[10, 1, 0, 0][..], &answer].concat());
    score(repeated(b"```json\n", b"[", LARGE, b"\n```\n"));
    score(repeated(b"```yaml\n", b"- ", LARGE, b"x\n```\n"));
    score(repeated(
        b"Here:\n```rust\nfn f() {",
        b"{",
        LARGE,
        b"\n```\n",
    ));
    score(repeated(b"", b"word ", LARGE, b""));
    score(plain(&yaml_bomb()));
}

/// "Billion laughs": nine anchors, each nine aliases of the one before.
fn yaml_bomb() -> Vec<u8> {
    let mut doc = String::from(
        "```yaml\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        doc.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    doc.push_str("```\n");
    doc.into_bytes()
}

#[test]
fn the_chat_and_code_pane_survive_large_lines() {
    harness::fence(&[&[2, 1][..], &repeated(b"```py\n", b"x", LARGE, b"\n```\n")].concat());
    harness::markdown(&[&[80, 3][..], &repeated(b"", b"word ", LARGE / 4, b"")].concat());
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..2048)
}

/// Markdown- and protocol-shaped text, which random bytes rarely are.
fn shaped() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just("```"),
            Just("~~~"),
            Just("```rust\n"),
            Just("```json\n"),
            Just("```yaml\n"),
            Just("\n"),
            Just("\r\n"),
            Just("\r"),
            Just("   "),
            Just("data: "),
            Just("event: error\n"),
            Just(": ping\n"),
            Just("[DONE]"),
            Just("{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}"),
            Just("{\"message\":{\"content\":\"x\"},\"done\":false}"),
            Just("{\"done\":true}"),
            Just("[hybrid.routing]\n"),
            Just("escalation_threshold = 0.5\n"),
            Just("[keys.chat]\n"),
            Just("good = \"g\"\n"),
            Just("- "),
            Just("a: &a [1]\n"),
            Just("*a"),
            Just("[[["),
            Just("| a |\n|---|\n"),
            Just("\t"),
            Just("\u{1b}[2J"),
            Just("\u{202e}"),
            Just("é"),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn stream_decoders(style in any::<u8>(), seed in any::<u8>(), body in prop_oneof![bytes(), shaped()]) {
        let input = [&[style, seed][..], &plain(&body)].concat();
        harness::sse(&input);
        harness::ndjson(&input);
    }

    #[test]
    fn config_loader(flags in 0u8..4, body in prop_oneof![bytes(), shaped()]) {
        harness::config(&[&[flags][..], &body].concat());
    }

    #[test]
    fn confidence_scorer(head in proptest::collection::vec(any::<u8>(), 4), prompt in "[a-z ]{0,40}", body in prop_oneof![bytes(), shaped()]) {
        let mut input = head.clone();
        input[2] = prompt.len() as u8;
        input[3] %= 4;
        input.extend_from_slice(prompt.as_bytes());
        input.extend(std::iter::repeat_n(0x3f, usize::from(input[3]) * 8));
        input.extend_from_slice(&plain(&body));
        harness::confidence(&input);
    }

    #[test]
    fn fences_markdown_and_terminal_text(a in any::<u8>(), b in any::<u8>(), body in prop_oneof![bytes(), shaped()]) {
        let input = [&[a, b][..], &plain(&body)].concat();
        harness::fence(&input);
        harness::markdown(&input);
        harness::terminal(&body);
    }
}
