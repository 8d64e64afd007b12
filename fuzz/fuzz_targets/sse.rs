#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codecrucible_fuzz::sse(data));
