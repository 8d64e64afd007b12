//! Getting the quality model ready before an escalation needs it (issue 16, "No reloads, no
//! cold starts"). When a hybrid draft starts to slide while it streams (`confidence::early`
//! calls it doubtful), the quality server is asked to load its model, so an escalation that
//! follows starts on a warm model instead of waiting for a cold load.
//!
//! Only where the load cannot hurt: the model is already resident (the load just renews
//! its `keep_alive`), or the resources monitor says it fits in the free GPU memory with its
//! KV cache. A model that does not fit, or whose fit nobody can tell, is left alone: loading
//! it could evict the fast model that is drafting right now (ollama #4681).

use std::sync::Arc;

use super::Shared;
use crate::backend::{BackendId, ServerInfo};
use crate::config::BackendConfig;
use crate::router::Residency;

/// The model to warm up, or why not, from what the server lists and the free GPU memory.
pub fn target(
    id: BackendId,
    cfg: &BackendConfig,
    info: &ServerInfo,
    free_vram: Option<u64>,
) -> Result<String, String> {
    match super::resources::residency_in(id, cfg, info, free_vram) {
        Residency::Loaded { model }
        | Residency::MustLoad {
            model,
            fits: Some(true),
            ..
        } => Ok(model),
        Residency::MustLoad {
            model,
            fits: Some(false),
            ..
        } => Err(format!(
            "{model} does not fit in the free GPU memory with its KV cache"
        )),
        Residency::MustLoad { model, .. } => {
            Err(format!("nothing says whether {model} fits in GPU memory"))
        }
        Residency::Unknown => Err(format!("{} does not say what it has loaded", id.label())),
    }
}

/// Asks the quality server to load its model, if it may. `Ok`: the model now loading or
/// renewed; `Err`: why nothing was asked (or the server's refusal).
pub async fn quality(shared: Arc<Shared>) -> Result<String, String> {
    let id = BackendId::Ollama;
    let pool = shared.slot(id);
    if let Some(e) = pool.disabled_error() {
        return Err(e.message);
    }
    if !pool.state().usable() {
        return Err(format!("{} is not up", id.label()));
    }
    let info = pool.info().await.map_err(|e| e.message)?;
    let model = target(
        id,
        &pool.likely().cfg,
        &info,
        super::resources::free_vram(&shared),
    )?;
    let slot = pool.pick_first(Some(&model), None).slot;
    slot.backend
        .load(model.clone(), None)
        .await
        .map_err(|e| e.message)?;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{ModelInfo, ServerKind};
    use crate::config::Config;

    fn info(loaded: bool) -> ServerInfo {
        ServerInfo {
            kind: ServerKind::Ollama,
            version: None,
            models: vec![ModelInfo {
                loaded: Some(loaded),
                size_bytes: Some(4 << 30),
                context_length: Some(8192),
                kv_bytes_per_token: Some(128 * 1024),
                ..ModelInfo::named("qwen2.5-coder:7b")
            }],
        }
    }

    #[test]
    fn a_resident_model_or_one_that_fits_is_warmed_and_nothing_else() {
        let cfg = Config::default().hybrid.ollama;
        let id = BackendId::Ollama;
        assert_eq!(
            target(id, &cfg, &info(true), None).as_deref(),
            Ok("qwen2.5-coder:7b")
        );
        // 4 GiB of weights and 1 GiB of KV cache (128 KiB × 8192) fit in 6 GiB ...
        assert!(target(id, &cfg, &info(false), Some(6 << 30)).is_ok());
        // ... not in 4.5 GiB, though the weights alone would.
        let e = target(id, &cfg, &info(false), Some(9 << 29)).unwrap_err();
        assert!(e.contains("does not fit"), "{e}");
        // No GPU reading: nobody can tell, so nothing is loaded.
        let e = target(id, &cfg, &info(false), None).unwrap_err();
        assert!(e.contains("nothing says"), "{e}");
    }
}
