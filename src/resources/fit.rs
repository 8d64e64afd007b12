//! Whether a model fits: the memory it takes once loaded, and how much of a loaded one
//! sits on the GPU. Pure arithmetic on what the servers report.

/// KV-cache bytes per token when the architecture is unknown, per byte of weights. A dense
/// 8B model at Q4 (4.7 GB of weights, 32 layers, 8 KV heads of 128 in f16) keeps 128 KiB a
/// token: 4.7e9 / 131072 ≈ 36 000. Models with fewer KV heads keep less, so this errs on
/// the side of "does not fit".
const WEIGHT_BYTES_PER_KV_BYTE_PER_TOKEN: u64 = 36_000;

/// The window a model is assumed to get when nothing says which: Ollama's default.
use crate::backend::OLLAMA_DEFAULT_CTX as DEFAULT_WINDOW;

/// The memory a model needs once loaded: its weights (the file) plus the KV cache for its
/// window, `kv_bytes_per_token × window`. The file size alone undercounts: at a 32k window
/// an 8B model's cache (4 GiB in f16) is nearly as large as its Q4 weights. Ollama's own
/// `/api/ps` `size` of a loaded model counts both the same way.
pub fn load_bytes(file_bytes: u64, kv_bytes_per_token: Option<u64>, window: Option<u64>) -> u64 {
    let per_token = kv_bytes_per_token.unwrap_or(file_bytes / WEIGHT_BYTES_PER_KV_BYTE_PER_TOKEN);
    let kv = per_token.saturating_mul(window.unwrap_or(DEFAULT_WINDOW));
    file_bytes.saturating_add(kv)
}

/// Whether a model of `file_bytes` fits in `free_vram` with its KV cache.
pub fn fits(
    free_vram: u64,
    file_bytes: u64,
    kv_bytes_per_token: Option<u64>,
    window: Option<u64>,
) -> bool {
    load_bytes(file_bytes, kv_bytes_per_token, window) <= free_vram
}

/// The share of a loaded model in VRAM, in whole percent, when it is partly on the CPU:
/// Ollama's `size_vram` against its `size` (which includes the KV cache). `None` when it is
/// all on the GPU or the server does not say.
pub fn gpu_percent(vram_bytes: Option<u64>, resident_bytes: Option<u64>) -> Option<u8> {
    let (vram, total) = (vram_bytes?, resident_bytes?);
    if total == 0 || vram >= total {
        return None;
    }
    // Round down: a model 99.6% on the GPU is still partly on the CPU.
    Some((vram as u128 * 100 / total as u128) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn the_estimate_counts_the_kv_cache_for_the_window() {
        // llama3.1:8b Q4: 4.9 GB of weights, 128 KiB of cache a token.
        let file = 4_920_753_328;
        assert_eq!(
            load_bytes(file, Some(131_072), Some(4096)),
            file + 512 * (1 << 20)
        );
        // At 32k the cache is 4 GiB: the file alone fits in 6 GiB, the model does not.
        assert!(file <= 6 * GIB);
        assert!(!fits(6 * GIB, file, Some(131_072), Some(32_768)));
        assert!(fits(6 * GIB, file, Some(131_072), Some(4096)));
        // Unknown architecture: scaled from the weights, at Ollama's default window.
        let guess = load_bytes(file, None, None) - file;
        assert!(
            guess > 400 * (1 << 20) && guess < 700 * (1 << 20),
            "{guess}"
        );
        assert_eq!(
            load_bytes(u64::MAX, Some(u64::MAX), Some(u64::MAX)),
            u64::MAX
        );
    }

    #[test]
    fn partial_offload_is_the_vram_share_of_the_total() {
        assert_eq!(gpu_percent(Some(62), Some(100)), Some(62));
        assert_eq!(
            gpu_percent(Some(5_333_539_264), Some(6_591_830_464)),
            Some(80)
        );
        assert_eq!(gpu_percent(Some(100), Some(100)), None);
        assert_eq!(gpu_percent(None, Some(100)), None);
        assert_eq!(gpu_percent(Some(0), Some(100)), Some(0));
        assert_eq!(gpu_percent(Some(1), Some(0)), None);
    }
}
