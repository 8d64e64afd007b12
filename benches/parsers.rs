//! Stream parsing throughput: SSE and NDJSON framing alone, and the full protocol decode
//! (framing + JSON) of realistic llama-server and Ollama streams. Target: ≥ 100 MB/s.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use codecrucible::backend::ndjson::NdjsonParser;
use codecrucible::backend::sse::SseParser;
use codecrucible::backend::{decode_stream, Api};

/// About 1 MiB of a llama-server stream: one token per event, with logprobs.
fn sse_stream() -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < 1 << 20 {
        s += &format!(
            "data: {{\"choices\":[{{\"finish_reason\":null,\"index\":0,\"delta\":{{\"content\":\" tok{i}\"}},\"logprobs\":{{\"content\":[{{\"id\":{i},\"token\":\" tok{i}\",\"bytes\":[32,116,111,107],\"logprob\":-0.{i},\"top_logprobs\":[]}}]}}}}],\"created\":1,\"id\":\"chatcmpl-x\",\"model\":\"m\",\"system_fingerprint\":\"b1\",\"object\":\"chat.completion.chunk\"}}\n\n"
        );
        i += 1;
    }
    s += "data: [DONE]\n\n";
    s.into_bytes()
}

/// About 1 MiB of an Ollama `/api/chat` stream.
fn ndjson_stream() -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < 1 << 20 {
        s += &format!("{{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.385406455-07:00\",\"message\":{{\"role\":\"assistant\",\"content\":\" tok{i}\"}},\"done\":false}}\n");
        i += 1;
    }
    s += "{\"model\":\"llama3.2\",\"done\":true,\"done_reason\":\"stop\",\"eval_count\":10,\"eval_duration\":1000}\n";
    s.into_bytes()
}

/// Splits into 1.5 KiB reads, roughly what a socket hands over.
fn reads(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.chunks(1500).collect()
}

fn framing(c: &mut Criterion) {
    let sse = sse_stream();
    let nd = ndjson_stream();
    let mut g = c.benchmark_group("framing");
    g.throughput(Throughput::Bytes(sse.len() as u64));
    g.bench_function("sse", |b| {
        b.iter_batched_ref(
            || (SseParser::new(), Vec::with_capacity(8192)),
            |(p, out)| {
                for r in reads(&sse) {
                    p.feed(r, out);
                }
                p.finish(out);
            },
            BatchSize::SmallInput,
        )
    });
    g.throughput(Throughput::Bytes(nd.len() as u64));
    g.bench_function("ndjson", |b| {
        b.iter_batched_ref(
            || (NdjsonParser::new(), Vec::with_capacity(8192)),
            |(p, out)| {
                for r in reads(&nd) {
                    p.feed(r, out);
                }
                p.finish(out);
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn decode(c: &mut Criterion) {
    let sse = sse_stream();
    let nd = ndjson_stream();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(sse.len() as u64));
    g.bench_function("openai_sse", |b| {
        b.iter(|| decode_stream(Api::Openai, &reads(&sse)))
    });
    g.throughput(Throughput::Bytes(nd.len() as u64));
    g.bench_function("ollama_ndjson", |b| {
        b.iter(|| decode_stream(Api::Ollama, &reads(&nd)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = framing, decode
}
criterion_main!(benches);
