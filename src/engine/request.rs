//! One request from route to done: pick the backend, wait for a slot, choose the model,
//! stream, and fall back to the other server when the first cannot take the request.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::events::{Event, EventKind, Submit};
use super::route::plan;
use super::slot::Slot;
use super::Shared;
use crate::backend::{models, BackendError, BackendId, ChatRequest, ErrorKind, StreamEvent};

/// After this long without a first token, tell the user the model is probably loading.
const LOADING_NOTICE: Duration = Duration::from_secs(3);

/// How an attempt on one backend ended.
enum Outcome {
    Done,
    Cancelled,
    Failed(BackendError),
}

pub struct Run {
    pub shared: Arc<Shared>,
    pub events: mpsc::UnboundedSender<Event>,
    pub submit: Submit,
    pub cancel: oneshot::Receiver<()>,
    /// Some answer text has been sent to the front end.
    pub partial: bool,
}

impl Run {
    fn emit(&self, kind: EventKind) {
        // A front end that has gone away no longer needs events.
        let _ = self.events.send(Event {
            id: self.submit.id,
            kind,
        });
    }

    pub async fn go(mut self) {
        let plan = plan(&self.shared, &self.submit);
        self.emit(EventKind::Route {
            decision: plan.decision.clone(),
            backend: plan.primary,
            fallback: plan.fallback,
        });
        let explicit = self.submit.model.clone();
        let first = self.attempt(plan.primary, explicit.as_deref()).await;
        let outcome = match (first, plan.fallback) {
            (Outcome::Failed(e), Some(to)) if e.is_unavailable() && !self.partial => {
                self.emit(EventKind::Fallback {
                    from: plan.primary,
                    to,
                    error: e.message.clone(),
                });
                self.attempt(to, None).await
            }
            (Outcome::Failed(e), None) if e.is_unavailable() => match &plan.forced {
                Some(how) => Outcome::Failed(BackendError {
                    message: format!("{} ({how})", e.message),
                    ..e
                }),
                None => Outcome::Failed(e),
            },
            (other, _) => other,
        };
        match outcome {
            Outcome::Done => {}
            Outcome::Cancelled => self.emit(EventKind::Cancelled {
                partial: self.partial,
            }),
            Outcome::Failed(e) => self.emit(EventKind::Error {
                backend: Some(e.backend),
                code: e.kind.code(),
                message: e.message,
                partial: self.partial,
            }),
        }
    }

    async fn attempt(&mut self, id: BackendId, explicit: Option<&str>) -> Outcome {
        let shared = Arc::clone(&self.shared);
        let slot = shared.slot(id);
        if let Some(e) = slot.disabled_error() {
            return Outcome::Failed(e);
        }
        let _permit = match slot.try_acquire() {
            Ok(p) => p,
            Err(depth) => {
                self.emit(EventKind::Queued { backend: id, depth });
                tokio::select! {
                    p = slot.acquire() => p,
                    _ = &mut self.cancel => return Outcome::Cancelled,
                }
            }
        };
        let start = Instant::now();
        let info = tokio::select! {
            i = slot.info() => i,
            _ = &mut self.cancel => return Outcome::Cancelled,
        };
        let info = match info {
            Ok(i) => i,
            Err(e) => {
                slot.record(!e.is_unavailable());
                return Outcome::Failed(e);
            }
        };
        let choice = models::choose(id, slot.cfg.api, explicit, &slot.cfg.models, &info.models);
        let choice = match choice {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(e),
        };
        self.emit(EventKind::Model {
            backend: id,
            model: choice.name.clone(),
            reason: choice.reason,
        });
        let loaded = info
            .models
            .iter()
            .find(|m| m.name == choice.name)
            .and_then(|m| m.loaded);
        let req = ChatRequest {
            model: choice.name.clone(),
            messages: super::route::with_attachments(&self.submit),
            max_tokens: self.submit.max_tokens,
            logprobs: true,
            ..ChatRequest::default()
        };
        let outcome = self.stream(slot, req, start, loaded).await;
        match &outcome {
            Outcome::Failed(e) if e.kind == ErrorKind::ModelNotFound => slot.forget_info().await,
            Outcome::Failed(e) => slot.record(!e.is_unavailable()),
            Outcome::Done => slot.record(true),
            Outcome::Cancelled => {}
        }
        outcome
    }

    async fn stream(
        &mut self,
        slot: &Slot,
        req: ChatRequest,
        start: Instant,
        loaded: Option<bool>,
    ) -> Outcome {
        let id = slot.id;
        let model = req.model.clone();
        let mut stream = slot.backend.chat(req);
        let mut stats = Stats::default();
        let notice = tokio::time::sleep(LOADING_NOTICE);
        tokio::pin!(notice);
        let mut noticed = false;
        loop {
            let item = tokio::select! {
                item = stream.next() => item,
                _ = &mut self.cancel => return Outcome::Cancelled,
                _ = &mut notice, if !noticed && stats.ttft.is_none() => {
                    noticed = true;
                    self.emit(EventKind::Status { backend: id, message: loading_message(id, &model, loaded) });
                    continue;
                }
            };
            let event = match item {
                Some(Ok(ev)) => ev,
                Some(Err(e)) => return Outcome::Failed(e),
                None => return Outcome::Failed(BackendError::cut(id, "the stream ended early")),
            };
            if matches!(event, StreamEvent::Text(_) | StreamEvent::Reasoning(_))
                && stats.ttft.is_none()
            {
                stats.ttft = Some(start.elapsed());
            }
            match event {
                StreamEvent::Text(text) => {
                    self.partial = true;
                    self.emit(EventKind::Delta { backend: id, text });
                }
                StreamEvent::Reasoning(text) => {
                    self.emit(EventKind::Reasoning { backend: id, text })
                }
                StreamEvent::Logprobs(tokens) => self.emit(EventKind::Logprobs {
                    backend: id,
                    tokens,
                }),
                StreamEvent::Usage(u) => stats.usage = u,
                StreamEvent::Done { finish_reason } => {
                    self.emit(stats.done(id, model, start, finish_reason));
                    return Outcome::Done;
                }
            }
        }
    }
}

#[derive(Default)]
struct Stats {
    ttft: Option<Duration>,
    usage: crate::backend::Usage,
}

impl Stats {
    fn done(
        self,
        backend: BackendId,
        model: String,
        start: Instant,
        finish_reason: Option<String>,
    ) -> EventKind {
        let total = start.elapsed();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        // Prefer the server's own speed; else estimate it from our clock after the first token.
        let tps = self.usage.tokens_per_second.or_else(|| {
            let n = self.usage.output_tokens? as f64;
            let gen = total.checked_sub(self.ttft?)?.as_secs_f64();
            (gen > 0.0 && n > 1.0).then(|| (n - 1.0) / gen)
        });
        EventKind::Done {
            backend,
            model,
            ttft_ms: self.ttft.map(ms),
            total_ms: ms(total),
            input_tokens: self.usage.input_tokens,
            output_tokens: self.usage.output_tokens,
            tokens_per_second: tps,
            finish_reason,
        }
    }
}

fn loading_message(id: BackendId, model: &str, loaded: Option<bool>) -> String {
    match loaded {
        Some(true) => format!(
            "waiting for {} to start answering with {model}…",
            id.label()
        ),
        _ => format!(
            "{} is loading model {model}; a large model can take minutes…",
            id.label()
        ),
    }
}
