//! Writes a request to the session store as it happens: the user's message before it is
//! sent, the answer as it streams (flushed at least every 250 ms), drafts marked as drafts,
//! a cut-short answer marked partial, and the routing decisions. It runs on the history
//! writer's thread (see `writer.rs`). Storage failures never stop a request: the first one
//! is reported once as a status event.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::events::{Event, EventKind, RequestId};
use super::outbox::Outbox;
use super::writer::Writer;
use crate::backend::BackendId;
use crate::store::{DecisionKind, MessageId, SessionId, Status, Store};

pub const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// A request's recorder, living on the history writer's thread: every change to it is a
/// job there, in the order the request sent them.
#[derive(Clone)]
pub struct Recording {
    writer: Writer,
    rec: Arc<Mutex<Recorder>>,
}

impl Recording {
    pub fn new(writer: Writer, rec: Recorder) -> Self {
        Self {
            writer,
            rec: Arc::new(Mutex::new(rec)),
        }
    }

    /// Runs `f` with the recorder and the store on the writer, after every earlier job.
    pub fn with(&self, f: impl FnOnce(&mut Recorder, &Store) + Send + 'static) {
        let rec = Arc::clone(&self.rec);
        self.writer.run(move |store| {
            // Only this thread locks it; a poisoned lock still holds a usable recorder.
            let mut rec = rec
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut rec, store);
        });
    }
}

pub struct Recorder {
    session: SessionId,
    /// Where a storage failure is reported, once.
    events: Outbox,
    request: RequestId,
    answer: Option<Streaming>,
    /// The message closed last.
    last_closed: Option<Streaming>,
    /// The draft an escalation replaced, in case the escalation fails and it is kept.
    replaced_draft: Option<Streaming>,
    model: Option<String>,
    /// A storage error has been reported for this request.
    failed: bool,
}

struct Streaming {
    id: MessageId,
    backend: BackendId,
    text: String,
    draft: bool,
    flushed: Instant,
    /// Text has arrived since the last write.
    dirty: bool,
}

impl Recorder {
    pub fn new(session: SessionId, events: Outbox, request: RequestId) -> Self {
        Self {
            session,
            events,
            request,
            answer: None,
            last_closed: None,
            replaced_draft: None,
            model: None,
            failed: false,
        }
    }

    fn note<T>(&mut self, r: Result<T, crate::store::StoreError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) if !self.failed => {
                self.failed = true;
                let message = format!("{e}; the conversation goes on without being saved");
                // On the writer's thread, outside the runtime.
                self.events.send_blocking(Event {
                    id: self.request,
                    kind: EventKind::Status {
                        backend: None,
                        message,
                    },
                });
                None
            }
            Err(_) => None,
        }
    }

    /// The session's attached files, with the digests just sent.
    pub fn files(&mut self, store: &Store, set: &[crate::store::SessionFile]) {
        let r = store.set_session_files(self.session, set);
        self.note(r);
    }

    /// The user's message, saved before anything is sent.
    pub fn user(&mut self, store: &Store, content: &str) {
        let r = store.add_message(self.session, "user", content, Status::Complete, None, None);
        self.note(r);
    }

    /// Mirrors one engine event into the store.
    pub fn event(&mut self, store: &Store, kind: &EventKind) {
        match kind {
            EventKind::Model { model, .. } => self.model = Some(model.clone()),
            EventKind::Delta {
                backend,
                text,
                draft,
            } => self.text(store, *backend, text, *draft),
            EventKind::Route { .. } => self.decision(store, DecisionKind::Route, kind),
            EventKind::Fallback { .. } => self.decision(store, DecisionKind::Fallback, kind),
            EventKind::Confidence { .. } => self.decision(store, DecisionKind::Confidence, kind),
            EventKind::Escalate { .. } => {
                self.decision(store, DecisionKind::Escalate, kind);
                self.close(store, Status::Draft);
                self.replaced_draft = self.last_closed.take();
            }
            EventKind::Done { backend, .. } => {
                // Latency, TTFT and tokens/s, for metrics and learning.
                self.decision(store, DecisionKind::Done, kind);
                // A draft that held up (or outlived a failed escalation) becomes the answer.
                if self.answer.as_ref().is_some_and(|a| a.backend == *backend) {
                    self.close(store, Status::Complete);
                } else if let Some(d) = self.replaced_draft.take().filter(|d| d.backend == *backend)
                {
                    let r = store.update_message(d.id, &d.text, Status::Complete);
                    self.note(r);
                    self.last_closed = Some(d);
                }
            }
            EventKind::Error { .. } | EventKind::Cancelled { .. } => {
                self.decision(store, DecisionKind::Error, kind);
                self.close(store, Status::Partial);
            }
            _ => {}
        }
    }

    fn text(&mut self, store: &Store, backend: BackendId, text: &str, draft: bool) {
        if self.answer.is_none() {
            // The first text is written at once, with the message.
            let status = if draft {
                Status::Draft
            } else {
                Status::Streaming
            };
            let model = self.model.clone();
            let r = store.add_message(
                self.session,
                "assistant",
                text,
                status,
                Some(backend.as_str()),
                model.as_deref(),
            );
            let Some(id) = self.note(r) else { return };
            let flushed = Instant::now();
            self.answer = Some(Streaming {
                id,
                backend,
                text: text.to_owned(),
                draft,
                flushed,
                dirty: false,
            });
            return;
        }
        if let Some(a) = self.answer.as_mut() {
            a.text.push_str(text);
            a.dirty = true;
        }
        self.flush(store, false);
    }

    /// Writes the streaming answer if it changed and `FLUSH_EVERY` has passed (or `now`).
    /// The engine also calls this on a timer, so a quiet stream is still saved.
    pub fn flush(&mut self, store: &Store, now: bool) {
        let Some(a) = self.answer.as_mut() else {
            return;
        };
        if !a.dirty || (!now && a.flushed.elapsed() < FLUSH_EVERY) {
            return;
        }
        a.flushed = Instant::now();
        a.dirty = false;
        let status = if a.draft {
            Status::Draft
        } else {
            Status::Streaming
        };
        let r = store.update_message(a.id, &a.text, status);
        self.note(r);
    }

    fn close(&mut self, store: &Store, status: Status) {
        if let Some(a) = self.answer.take() {
            let r = store.update_message(a.id, &a.text, status);
            self.note(r);
            self.last_closed = Some(a);
        }
    }

    /// What the finished request taught the router, kept with its answer so that feedback
    /// on that answer can correct it.
    pub fn learned(&mut self, store: &Store, o: &crate::store::Observation) {
        let Some(message) = self.last_closed.as_ref().map(|a| a.id) else {
            return;
        };
        let json = serde_json::to_string(o).unwrap_or_default();
        let r = store.record_decision(self.session, Some(message), DecisionKind::Learning, &json);
        self.note(r);
    }

    fn decision(&mut self, store: &Store, kind: DecisionKind, event: &EventKind) {
        let json = serde_json::to_string(event).unwrap_or_default();
        let message = self.answer.as_ref().map(|a| a.id);
        let r = store.record_decision(self.session, message, kind, &json);
        self.note(r);
    }
}
