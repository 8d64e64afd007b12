//! Two servers on one GPU (issue 16, "Opt-in unloading"): with `hybrid.vram.unload_idle`,
//! a request whose model is not loaded and does not fit in the free GPU memory may have the
//! other server's model unloaded first, when no request is using it and it has sat idle for
//! `hybrid.vram.idle_secs`. Otherwise the second load would evict or offload the first model
//! on a small card anyway (ollama #4681), only later and by surprise. Never done silently:
//! each unload is an `unloaded` event, shown in the inspector and the resource pane.

use std::sync::Arc;
use std::time::Duration;

use super::events::EventKind;
use super::Shared;
use crate::backend::{BackendId, ModelInfo, ModelKind};

/// Whether `model`, for role `id`, needs the other server to make room: unloading is on,
/// it is not loaded, both servers run on this machine (the free memory read is this
/// machine's GPU; unloading a remote model frees nothing here), and the free GPU memory
/// cannot hold it with its KV cache.
pub fn needs_room(shared: &Shared, id: BackendId, model: &ModelInfo) -> bool {
    if !shared.config.hybrid.vram.unload_idle || model.loaded != Some(false) {
        return false;
    }
    if !on_this_machine(shared, id) || !on_this_machine(shared, id.other()) {
        return false;
    }
    let (Some(free), Some(size)) = (super::resources::free_vram(shared), model.size_bytes) else {
        return false;
    };
    !crate::resources::fit::fits(free, size, model.kv_bytes_per_token, model.context_length)
}

/// Every endpoint of the role is a loopback address.
fn on_this_machine(shared: &Shared, id: BackendId) -> bool {
    shared.slot(id).slots().all(|s| {
        reqwest::Url::parse(s.backend.endpoint())
            .is_ok_and(|u| crate::backend::endpoint::is_local(&u))
    })
}

/// Unloads what `other` has loaded, if nothing uses it and it has been idle long enough;
/// the events to show for it (one per model unloaded, or why it was kept).
pub async fn make_room(shared: Arc<Shared>, other: BackendId, for_model: &str) -> Vec<EventKind> {
    let pool = shared.slot(other);
    let min_idle = Duration::from_secs(shared.config.hybrid.vram.idle_secs);
    let busy: usize = pool.slots().map(|s| s.busy()).sum();
    let idle = pool.slots().map(|s| s.idle_for()).min().unwrap_or_default();
    let Some(info) = pool.likely().cached_info() else {
        return Vec::new();
    };
    let loaded: Vec<String> = info
        .models
        .iter()
        // Only chat models, which this engine loads; an embedding model is someone else's.
        .filter(|m| m.loaded == Some(true) && m.kind == ModelKind::Llm)
        .map(|m| m.name.clone())
        .collect();
    if loaded.is_empty() {
        return Vec::new();
    }
    if busy > 0 || idle < min_idle {
        let why = if busy > 0 {
            "it is answering a request".to_owned()
        } else {
            format!("it was used {} s ago", idle.as_secs())
        };
        return vec![EventKind::Status {
            backend: Some(other),
            message: format!(
                "{for_model} does not fit in the free GPU memory, but {}'s {} is kept: {why}",
                other.label(),
                loaded.join(", ")
            ),
        }];
    }
    let mut events = Vec::new();
    for model in loaded {
        let result = pool.likely().backend.unload(model.clone()).await;
        events.push(match result {
            Ok(()) => EventKind::Unloaded {
                backend: other,
                model,
                idle_secs: idle.as_secs(),
                reason: format!("to make room for {for_model}"),
            },
            Err(e) => EventKind::Status {
                backend: Some(other),
                message: format!("{model} could not be unloaded to make room: {}", e.message),
            },
        });
    }
    pool.likely().forget_info().await;
    events
}
