//! Property tests for the stream parsers: no input panics them, and how bytes are split
//! into reads never changes what they produce.

use codecrucible::backend::ndjson::NdjsonParser;
use codecrucible::backend::sse::{SseEvent, SseParser};
use codecrucible::backend::{decode_stream, Api};
use proptest::prelude::*;

fn pieces<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for &c in cuts {
        let c = c.min(bytes.len()).max(start);
        out.push(&bytes[start..c]);
        start = c;
    }
    out.push(&bytes[start..]);
    out
}

fn sse_in_pieces(bytes: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    for piece in pieces(bytes, cuts) {
        p.feed(piece, &mut out);
    }
    p.finish(&mut out);
    out
}

fn ndjson_in_pieces(bytes: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut p = NdjsonParser::new();
    let mut out = Vec::new();
    for piece in pieces(bytes, cuts) {
        p.feed(piece, &mut out);
    }
    p.finish(&mut out);
    out
}

/// A valid SSE stream from arbitrary events, with a chosen line ending and pings.
fn sse_stream() -> impl Strategy<Value = Vec<u8>> {
    let event = (
        proptest::option::of("[a-z]{1,8}"),
        proptest::collection::vec("[^\r\n]{0,40}", 1..3),
        any::<bool>(),
    );
    (proptest::collection::vec(event, 0..12), 0..3usize).prop_map(|(events, eol)| {
        let eol = ["\n", "\r\n", "\r"][eol];
        let mut s = String::new();
        for (name, data, ping) in events {
            if ping {
                s += &format!(": ping{eol}{eol}");
            }
            if let Some(n) = name {
                s += &format!("event: {n}{eol}");
            }
            for d in data {
                s += &format!("data: {d}{eol}");
            }
            s += eol;
        }
        s.into_bytes()
    })
}

fn sorted_cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..=len.max(1), 0..20).prop_map(|mut v| {
        v.sort_unstable();
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048), cuts in sorted_cuts(2048)) {
        let _ = sse_in_pieces(&bytes, &cuts);
    }

    #[test]
    fn ndjson_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048), cuts in sorted_cuts(2048)) {
        let _ = ndjson_in_pieces(&bytes, &cuts);
    }

    #[test]
    fn sse_split_anywhere_gives_the_same_events(stream in sse_stream(), cuts in sorted_cuts(4096)) {
        let whole = sse_in_pieces(&stream, &[]);
        prop_assert_eq!(sse_in_pieces(&stream, &cuts), whole);
    }

    #[test]
    fn sse_byte_by_byte_gives_the_same_events(stream in sse_stream()) {
        let whole = sse_in_pieces(&stream, &[]);
        let every: Vec<usize> = (0..stream.len()).collect();
        prop_assert_eq!(sse_in_pieces(&stream, &every), whole);
    }

    #[test]
    fn ndjson_split_anywhere_gives_the_same_lines(
        lines in proptest::collection::vec("[^\r\n]{0,60}", 0..20),
        crlf in any::<bool>(),
        cuts in sorted_cuts(2048),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let stream: String = lines.iter().map(|l| format!("{l}{eol}")).collect();
        let whole = ndjson_in_pieces(stream.as_bytes(), &[]);
        prop_assert_eq!(ndjson_in_pieces(stream.as_bytes(), &cuts), whole);
    }

    /// The decoded protocol events, not just the framing, survive any split.
    #[test]
    fn decoded_openai_and_ollama_streams_are_split_invariant(cuts in sorted_cuts(1500), tokens in proptest::collection::vec("[a-zé ]{1,6}", 1..8)) {
        let mut sse = String::new();
        let mut nd = String::new();
        for t in &tokens {
            sse += &format!("data: {}\n\n", serde_json::json!({"choices":[{"delta":{"content":t}}]}));
            nd += &format!("{}\n", serde_json::json!({"message":{"content":t},"done":false}));
        }
        sse += "data: [DONE]\n\n";
        nd += "{\"done\":true,\"done_reason\":\"stop\",\"eval_count\":3,\"eval_duration\":1000}\n";
        for (bytes, ollama) in [(sse.as_bytes(), false), (nd.as_bytes(), true)] {
            let api = if ollama { Api::Ollama } else { Api::Openai };
            let whole = decode_stream(api, &[bytes]);
            prop_assert_eq!(decode_stream(api, &pieces(bytes, &cuts)), whole.clone());
            prop_assert_eq!(whole.len(), tokens.len() + 1 + usize::from(ollama));
        }
    }
}
