//! The HTTP plumbing both protocols share: the client, the local-only rule, the bearer
//! token, JSON GETs, and the streaming driver that applies the first-token and idle
//! timeouts around a protocol [`Decoder`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::Url;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::error::{describe_reqwest, one_line};
use super::{endpoint, BackendError, BackendId, ErrorKind, EventStream, StreamEvent};
use crate::config::{BackendConfig, Config};

/// Metadata requests (model lists, versions) are small; they should never take long.
const META_TIMEOUT: Duration = Duration::from_secs(10);
const LOCAL_PROBE: Duration = Duration::from_millis(300);

pub(crate) type Item = Result<StreamEvent, BackendError>;

/// Turns a protocol's bytes into events. `finish` is called at end of stream and must
/// report a stream that ended before the protocol's end marker.
pub(crate) trait Decoder: Send + 'static {
    fn feed(&mut self, bytes: &[u8], out: &mut VecDeque<Item>);
    fn finish(&mut self, out: &mut VecDeque<Item>);
    fn done(&self) -> bool;
}

pub(crate) struct Http {
    pub id: BackendId,
    pub configured: String,
    base: Result<Url, BackendError>,
    resolved: Mutex<Option<Url>>,
    client: reqwest::Client,
    first_token: Duration,
    idle: Duration,
}

impl Http {
    pub fn new(id: BackendId, cfg: &BackendConfig) -> Self {
        let base = check_endpoint(id, cfg);
        let local = base.as_ref().is_ok_and(endpoint::is_local);
        let mut headers = HeaderMap::new();
        if let Some(key) = cfg.api_key.expose() {
            if let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {key}")) {
                v.set_sensitive(true);
                headers.insert(AUTHORIZATION, v);
            }
        }
        let mut builder = reqwest::Client::builder()
            .redirect(redirects(cfg.allow_remote))
            .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
            .default_headers(headers)
            .tcp_nodelay(true)
            .user_agent(concat!("codecrucible/", env!("CARGO_PKG_VERSION")));
        if local {
            // A proxy must never see traffic meant for a server on this machine.
            builder = builder.no_proxy();
        }
        let client = builder.build().unwrap_or_default();
        Self {
            id,
            configured: cfg.endpoint.clone(),
            base,
            resolved: Mutex::new(None),
            client,
            first_token: Duration::from_secs(cfg.first_token_timeout_secs),
            idle: Duration::from_secs(cfg.idle_timeout_secs),
        }
    }

    /// The base URL to connect to, with `localhost` pinned to the loopback address that
    /// answers. Pinned once something answered; retried while nothing does.
    async fn base(&self) -> Result<Url, BackendError> {
        let base = self.base.clone()?;
        let mut cached = self.resolved.lock().await;
        if let Some(url) = cached.as_ref() {
            return Ok(url.clone());
        }
        let (url, settled) = endpoint::resolve_local(&base, LOCAL_PROBE).await;
        if settled {
            *cached = Some(url.clone());
        }
        Ok(url)
    }

    async fn url(&self, path: &str) -> Result<Url, BackendError> {
        let base = self.base().await?;
        base.join(path.trim_start_matches('/'))
            .map_err(|e| BackendError::malformed(self.id, &format!("bad path {path}: {e}")))
    }

    fn send_error(&self, e: &reqwest::Error) -> BackendError {
        if let Some(to) = off_machine(e) {
            let section = Config::section(self.id);
            return BackendError::new(
                self.id,
                ErrorKind::RemoteNotAllowed,
                format!(
                    "{} at {} redirected the request to {to}, which is not on this machine, so \
                     nothing was sent there; CodeCrucible only talks to local servers unless you \
                     set {section}.allow_remote = true",
                    self.id.label(),
                    self.configured
                ),
            );
        }
        let why = describe_reqwest(e);
        if e.is_timeout() && e.is_connect() {
            BackendError::new(
                self.id,
                ErrorKind::ConnectTimeout,
                format!(
                    "{} did not accept a connection on {} in time — is the address right? {}",
                    self.id.label(),
                    self.configured,
                    super::error::start_hint(self.id)
                ),
            )
        } else {
            BackendError::unreachable(self.id, &self.configured, &why)
        }
    }

    /// GETs `path` and decodes JSON. `Ok(None)` when the route does not exist (404/405/501),
    /// so optional routes such as LM Studio's `/api/v1/models` can be tried.
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, BackendError> {
        let url = self.url(path).await?;
        let req = self.client.get(url).timeout(META_TIMEOUT).send();
        let resp = req.await.map_err(|e| self.send_error(&e))?;
        let status = resp.status().as_u16();
        if matches!(status, 404 | 405 | 501) {
            return Ok(None);
        }
        let (body, cut) = read_capped(resp, MAX_BODY)
            .await
            .map_err(|e| self.send_error(&e))?;
        if cut {
            let what = format!(
                "{} answered GET {path} with over 1 MiB, more than any real answer; is the endpoint right?",
                self.id.label()
            );
            return Err(BackendError::new(self.id, ErrorKind::TooLarge, what));
        }
        if !(200..300).contains(&status) {
            return Err(status_error(self.id, status, &body));
        }
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| BackendError::malformed(self.id, &format!("GET {path}: {e}")))
    }

    /// Like [`Http::get_optional`], but a missing route is an error.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, BackendError> {
        self.get_optional(path).await?.ok_or_else(|| {
            BackendError::malformed(self.id, &format!("the server has no {path} route"))
        })
    }

    /// POSTs a JSON body and reads the whole answer (capped): the status and the body,
    /// for the protocol to judge. `wait` bounds the whole exchange (a load can take minutes).
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        wait: Duration,
    ) -> Result<(u16, Vec<u8>), BackendError> {
        let url = self.url(path).await?;
        let req = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap_or_default())
            .timeout(wait)
            .send();
        let resp = req.await.map_err(|e| self.send_error(&e))?;
        let status = resp.status().as_u16();
        let (body, cut) = read_capped(resp, MAX_BODY)
            .await
            .map_err(|e| self.send_error(&e))?;
        if cut {
            let what = format!(
                "{} answered POST {path} with over 1 MiB, more than any real answer; is the endpoint right?",
                self.id.label()
            );
            return Err(BackendError::new(self.id, ErrorKind::TooLarge, what));
        }
        Ok((status, body))
    }

    /// How long a model may take to load: the first-token timeout, which covers loading.
    pub fn load_timeout(&self) -> Duration {
        self.first_token
    }

    /// True when the configured endpoint is on this machine.
    pub fn is_local(&self) -> bool {
        self.base.as_ref().is_ok_and(endpoint::is_local)
    }

    /// POSTs `body` to `path` and streams the answer through `decoder`.
    pub fn stream<D: Decoder>(
        self: &Arc<Self>,
        path: &'static str,
        model: String,
        body: Vec<u8>,
        decoder: D,
    ) -> EventStream {
        let state = Driver {
            http: Arc::clone(self),
            path,
            model,
            body: Some(body),
            body_stream: None,
            decoder,
            pending: VecDeque::new(),
            got_first: false,
            deadline: Instant::now() + self.first_token,
            eof: false,
            ended: false,
        };
        Box::pin(futures_util::stream::unfold(state, Driver::next))
    }
}

/// The error for a failed status. Ollama answers 401 with a `signin_url` when a cloud model
/// needs an ollama.com account: that is `ollama signin`, not an API key.
pub(crate) fn status_error(id: BackendId, status: u16, body: &[u8]) -> BackendError {
    let msg = error_message(body);
    let signin = status == 401
        && serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .is_some_and(|v| v.get("signin_url").is_some());
    if !signin {
        return BackendError::status(id, status, &msg);
    }
    BackendError::new(
        id,
        ErrorKind::Auth,
        format!(
            "{} refused the request (401: {msg}): the model runs on ollama.com and needs you \
             signed in there — run `ollama signin`, or pick a local model",
            id.label()
        ),
    )
}

/// The most a model list, a version or an error body may hold. They are a few KiB; a
/// server must not make us buffer without limit (DESIGN.md, "Untrusted input").
const MAX_BODY: usize = 1 << 20;

/// Reads a body up to `cap` bytes; says whether it went on past that.
async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = cap - out.len();
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, false))
}

/// How many redirects a request may follow.
const MAX_REDIRECTS: usize = 5;

/// A redirect that would leave the machine. A 307 or 308 re-sends the whole body, the
/// conversation, so every hop is held to the rule the configured endpoint is: local only,
/// unless `allow_remote` is set.
#[derive(Debug)]
struct OffMachine(String);

impl std::fmt::Display for OffMachine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a redirect to {}, which is not on this machine", self.0)
    }
}

impl std::error::Error for OffMachine {}

fn redirects(allow_remote: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if allow_remote || endpoint::is_local(attempt.url()) {
            attempt.follow()
        } else {
            let to = attempt.url().clone();
            // Only the origin: the path and query could carry anything.
            attempt.error(OffMachine(to.origin().ascii_serialization()))
        }
    })
}

/// The off-machine address a redirect was refused for, if that is why `e` failed.
fn off_machine(e: &reqwest::Error) -> Option<String> {
    use std::error::Error as _;
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(OffMachine(to)) = s.downcast_ref::<OffMachine>() {
            return Some(to.clone());
        }
        source = s.source();
    }
    None
}

fn check_endpoint(id: BackendId, cfg: &BackendConfig) -> Result<Url, BackendError> {
    let section = Config::section(id);
    let url = endpoint::parse_base_url(&cfg.endpoint).map_err(|why| {
        BackendError::new(
            id,
            ErrorKind::Disabled,
            format!("{section}.endpoint \"{}\" {why}", cfg.endpoint),
        )
    })?;
    if !cfg.allow_remote && !endpoint::is_local(&url) {
        return Err(BackendError::new(
            id,
            ErrorKind::RemoteNotAllowed,
            format!(
                "{section}.endpoint is {}, which is not on this machine; CodeCrucible only talks \
                 to local servers unless you set {section}.allow_remote = true",
                cfg.endpoint
            ),
        ));
    }
    Ok(url)
}

/// The message inside an error body: `{"error":"..."}`, `{"error":{"message":"..."}}`, or
/// the start of the raw text; one line either way.
pub(crate) fn error_message(body: &[u8]) -> String {
    let json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| json_error(&v));
    let text = match json {
        Some(m) => one_line(&m),
        None => one_line(&String::from_utf8_lossy(body)),
    };
    if text.is_empty() {
        "no details given".into()
    } else {
        text
    }
}

/// The message of an `error` key in either shape, if the object has one.
pub(crate) fn json_error(v: &serde_json::Value) -> Option<String> {
    let e = v.get("error")?;
    if e.is_null() {
        return None;
    }
    Some(match e {
        serde_json::Value::String(s) => s.clone(),
        other => other
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| other.to_string()),
    })
}

type BodyStream = std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

struct Driver<D> {
    http: Arc<Http>,
    path: &'static str,
    model: String,
    body: Option<Vec<u8>>,
    body_stream: Option<BodyStream>,
    decoder: D,
    pending: VecDeque<Item>,
    got_first: bool,
    /// Until the first token: when to give up. After it, reset by each chunk.
    deadline: Instant,
    eof: bool,
    ended: bool,
}

impl<D: Decoder> Driver<D> {
    async fn next(mut self) -> Option<(Item, Self)> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                if item.is_err() {
                    // An error ends the stream; nothing after it is meaningful.
                    self.ended = true;
                    self.pending.clear();
                }
                return Some((item, self));
            }
            if self.ended || self.eof {
                return None;
            }
            if let Err(e) = self.step().await {
                self.ended = true;
                return Some((Err(e), self));
            }
        }
    }

    async fn step(&mut self) -> Result<(), BackendError> {
        let Some(stream) = self.body_stream.as_mut() else {
            let resp = self.send().await?;
            self.body_stream = Some(Box::pin(resp.bytes_stream()));
            return Ok(());
        };
        let deadline = if self.got_first {
            Instant::now() + self.http.idle
        } else {
            self.deadline
        };
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => Err(self.timeout_error()),
            Ok(Some(Ok(bytes))) => {
                self.decoder.feed(&bytes, &mut self.pending);
                self.got_first |= self.pending.iter().any(is_first_token);
                self.eof = self.decoder.done();
                Ok(())
            }
            Ok(Some(Err(e))) => Err(BackendError::cut(self.http.id, &describe_reqwest(&e))),
            Ok(None) => {
                self.decoder.finish(&mut self.pending);
                self.eof = true;
                Ok(())
            }
        }
    }

    async fn send(&mut self) -> Result<reqwest::Response, BackendError> {
        let http = &self.http;
        let url = http.url(self.path).await?;
        let body = self.body.take().unwrap_or_default();
        let req = http
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send();
        let resp = match tokio::time::timeout_at(self.deadline, req).await {
            Err(_) => return Err(self.timeout_error()),
            Ok(r) => r.map_err(|e| http.send_error(&e))?,
        };
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(resp);
        }
        // Only its start matters: the message is cut to a line anyway.
        let body = tokio::time::timeout(META_TIMEOUT, read_capped(resp, MAX_BODY))
            .await
            .ok()
            .and_then(Result::ok)
            .map(|(body, _)| body)
            .unwrap_or_default();
        let msg = error_message(&body);
        if status == 404 {
            return Err(BackendError::new(
                http.id,
                ErrorKind::ModelNotFound,
                format!(
                    "{} does not have the model \"{}\" ({msg}) — `codecrucible doctor` lists the models it has",
                    http.id.label(),
                    self.model
                ),
            ));
        }
        Err(status_error(http.id, status, &body))
    }

    fn timeout_error(&self) -> BackendError {
        let id = self.http.id;
        let section = Config::section(id);
        if self.got_first {
            BackendError::new(
                id,
                ErrorKind::IdleTimeout,
                format!(
                    "{} went quiet for {} s in the middle of the answer \
                     (raise {section}.idle_timeout_secs if the server is just slow)",
                    id.label(),
                    self.http.idle.as_secs()
                ),
            )
        } else {
            BackendError::new(
                id,
                ErrorKind::FirstTokenTimeout,
                format!(
                    "{} sent no answer within {} s — the model may still be loading or too large for \
                     this machine (raise {section}.first_token_timeout_secs to wait longer)",
                    id.label(),
                    self.http.first_token.as_secs()
                ),
            )
        }
    }
}

fn is_first_token(item: &Item) -> bool {
    matches!(item, Ok(StreamEvent::Text(_) | StreamEvent::Reasoning(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_remote_lifts_the_local_only_rule() {
        let mut cfg = Config::default().hybrid.ollama;
        cfg.endpoint = "https://gpu-box.example:11434".into();
        let e = check_endpoint(BackendId::Ollama, &cfg).unwrap_err();
        assert_eq!(e.kind, ErrorKind::RemoteNotAllowed);
        cfg.allow_remote = true;
        assert!(check_endpoint(BackendId::Ollama, &cfg).is_ok());
    }

    #[test]
    fn error_bodies_in_both_shapes() {
        assert_eq!(
            error_message(br#"{"error":"No models loaded"}"#),
            "No models loaded"
        );
        assert_eq!(
            error_message(br#"{"error":{"message":"Model not found","type":"x"}}"#),
            "Model not found"
        );
        assert_eq!(error_message(b"plain text"), "plain text");
        assert_eq!(error_message(b""), "no details given");
        assert_eq!(error_message(br#"{"error":"  "}"#), "no details given");
    }

    #[test]
    fn a_server_message_is_one_line_of_at_most_200_characters() {
        assert_eq!(
            error_message(br#"{"error":"failed\nTraceback (most recent call last):\n  File x"}"#),
            "failed Traceback (most recent call last): File x"
        );
        let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "é".repeat(300));
        assert_eq!(
            error_message(long.as_bytes()),
            format!("{}…", "é".repeat(200))
        );
    }
}
