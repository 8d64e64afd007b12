//! Estimating how many tokens a conversation takes, and trimming the oldest turns when it
//! would not fit the model's loaded window.

use super::events::ContextItem;
use super::files::{Gathered, Source};
use crate::backend::{ChatMessage, Role};

/// Characters (bytes of UTF-8) per token before a server has said: code and non-English
/// text run at about 3.5 with common tokenizers. Each server's own ratio is then learnt
/// from the prompt tokens it reports ([`Calibration`]).
pub const DEFAULT_CHARS_PER_TOKEN: f64 = 3.5;

/// An estimate at `cpt` characters a token; each message carries a few tokens of framing.
pub fn estimate(messages: &[ChatMessage], cpt: f64) -> u64 {
    messages.iter().map(|m| tokens(&m.content, cpt) + 4).sum()
}

/// One server's characters per token, learnt from what it reports: the prompt tokens it
/// counted against the characters sent. A running average, so one odd request moves it
/// only part of the way.
#[derive(Debug)]
pub struct Calibration(std::sync::atomic::AtomicU64);

impl Default for Calibration {
    fn default() -> Self {
        Self(std::sync::atomic::AtomicU64::new(
            DEFAULT_CHARS_PER_TOKEN.to_bits(),
        ))
    }
}

impl Calibration {
    pub fn chars_per_token(&self) -> f64 {
        f64::from_bits(self.0.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Takes in one request: `chars` sent, `tokens` counted by the server. Tiny prompts
    /// (mostly template) and implausible ratios teach nothing.
    pub fn observe(&self, chars: usize, tokens: u64) {
        if tokens < 32 {
            return;
        }
        let seen = chars as f64 / tokens as f64;
        if !(1.0..=12.0).contains(&seen) {
            return;
        }
        let next = 0.7 * self.chars_per_token() + 0.3 * seen;
        self.0
            .store(next.to_bits(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// The window assumed when a server does not say what its model is loaded with: small
/// enough for the 8k-token windows local servers commonly load models with.
pub const UNKNOWN_WINDOW: u64 = 8192;

/// The files chosen for a request: their text, in order, and what became of each.
pub struct Picked {
    pub text: String,
    pub used: u64,
    pub items: Vec<ContextItem>,
}

/// Tokens a piece of text takes at `cpt` characters a token, rounded up.
pub fn tokens(text: &str, cpt: f64) -> u64 {
    (text.len() as f64 / cpt.max(0.5)).ceil() as u64
}

/// Takes files in order while they fit `budget`; one that does not fit is left out and
/// later, smaller ones may still go in.
pub fn pick_files(
    files: &[Gathered],
    map: Option<&crate::workspace::map::RepoMap>,
    budget: u64,
    window: u64,
    cpt: f64,
) -> Picked {
    let mut text = String::new();
    let mut used = 0;
    let mut items = Vec::with_capacity(files.len() + 1);
    // Attached files first, then the map, then files named in passing and the session's.
    let attached = files
        .iter()
        .take_while(|g| g.source == Source::Attached)
        .count();
    let map = map.filter(|m| !m.files.is_empty());
    let mut order: Vec<Option<&Gathered>> = files[..attached].iter().map(Some).collect();
    if map.is_some() {
        order.push(None);
    }
    order.extend(files[attached..].iter().map(Some));
    for g in order {
        let item = match (g, map) {
            (Some(g), _) => file_item(g, budget - used, cpt),
            (None, Some(map)) => map_item(map, budget - used, window, cpt),
            (None, None) => continue,
        };
        if let Some(block) = &item.1 {
            text += block;
            text.push('\n');
            used += item.0.tokens;
        }
        items.push(item.0);
    }
    // The note on line numbers is for file blocks; a map alone has none.
    let numbered = items.iter().any(|i| i.included && i.source != Source::Map);
    if numbered {
        text = format!(
            "Files from the workspace (each line starts with its number and `|`, which are \
             not part of the file):\n\n{text}\n"
        );
    }
    Picked { text, used, items }
}

const MAP_HEADER: &str =
    "Repository map (files ranked by relevance to this request, with what they define):\n";

/// A file's item, and its block when it fits in `left`.
fn file_item(g: &Gathered, left: u64, cpt: f64) -> (ContextItem, Option<String>) {
    let block = crate::workspace::attach::block(&g.text, g.changed);
    let need = tokens(&block, cpt);
    let fits = need <= left;
    let item = ContextItem {
        path: g.text.file.label(),
        source: g.source,
        tokens: need,
        included: fits,
        changed: g.changed,
        map: None,
        dropped: (!fits).then(|| format!("needs about {need} tokens and {left} are left")),
    };
    (item, fits.then_some(block))
}

/// The map's item, and its block: the map's head that fits in `left`, and in a quarter of
/// the window. The map is an aid, not what was asked for, so a small model is not made to
/// read a long map before every answer.
fn map_item(
    map: &crate::workspace::map::RepoMap,
    left: u64,
    window: u64,
    cpt: f64,
) -> (ContextItem, Option<String>) {
    let room = left.min(window / 4);
    let header = tokens(MAP_HEADER, cpt);
    let estimate = |s: &str| tokens(s, cpt);
    let cut = map.cut(room.saturating_sub(header + 1), &estimate);
    let full = header + tokens(&map.text, cpt);
    let mut item = ContextItem {
        path: "repository map".to_owned(),
        source: Source::Map,
        tokens: full,
        included: false,
        changed: false,
        map: Some((map.files.len(), map.dropped.len())),
        dropped: None,
    };
    if cut.files.is_empty() {
        item.dropped = Some(if room < left {
            format!("needs about {full} tokens, more than a quarter of the {window}-token window")
        } else {
            format!("needs about {full} tokens and {left} are left")
        });
        return (item, None);
    }
    let block = format!("{MAP_HEADER}{}\n", cut.text);
    item.tokens = tokens(&block, cpt);
    item.included = true;
    item.map = Some((cut.files.len(), cut.dropped.len()));
    (item, Some(block))
}

/// Drops the oldest turns (never the system prompt or the newest user message) until the
/// conversation fits `budget`, and says how many messages were dropped. A user message
/// goes with the assistant reply that followed it, so no answer is left without its question.
pub fn trim_oldest(messages: &mut Vec<ChatMessage>, budget: u64, cpt: f64) -> usize {
    let mut dropped = 0;
    while estimate(messages, cpt) > budget {
        let last_user = messages.iter().rposition(|m| m.role == Role::User);
        let oldest = messages
            .iter()
            .enumerate()
            .position(|(i, m)| m.role != Role::System && Some(i) != last_user);
        match oldest {
            Some(i) => {
                let was_user = messages.remove(i).role == Role::User;
                dropped += 1;
                let reply_follows = messages.get(i).is_some_and(|m| m.role == Role::Assistant);
                if was_user && reply_follows && i + 1 < messages.len() {
                    messages.remove(i);
                    dropped += 1;
                }
            }
            None => break,
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(turns: usize, size: usize) -> Vec<ChatMessage> {
        let mut m = vec![ChatMessage::new(Role::System, "sys")];
        for i in 0..turns {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            m.push(ChatMessage::new(role, "x".repeat(size)));
        }
        m
    }

    #[test]
    fn estimates_grow_with_text() {
        assert!(estimate(&conv(1, 3500), DEFAULT_CHARS_PER_TOKEN) >= 1000);
        assert!(estimate(&conv(1, 35), DEFAULT_CHARS_PER_TOKEN) < 20);
    }

    #[test]
    fn trims_the_oldest_turns_and_keeps_system_and_newest() {
        let mut m = conv(5, 700); // 5 turns of ~200 tokens
        let dropped = trim_oldest(&mut m, 450, DEFAULT_CHARS_PER_TOKEN);
        assert_eq!(dropped, 4, "two whole turns");
        assert_eq!(m[0].role, Role::System);
        assert_eq!(m.last().map(|x| x.role), Some(Role::User));
        let mut alone = conv(1, 7000);
        assert_eq!(
            trim_oldest(&mut alone, 100, DEFAULT_CHARS_PER_TOKEN),
            0,
            "the newest message is never dropped"
        );
    }

    #[test]
    fn each_server_learns_its_own_ratio_from_reported_prompt_tokens() {
        let c = Calibration::default();
        assert_eq!(c.chars_per_token(), DEFAULT_CHARS_PER_TOKEN);
        for _ in 0..20 {
            c.observe(10_000, 5_000); // a tokenizer at 2 characters a token
        }
        assert!(
            (c.chars_per_token() - 2.0).abs() < 0.05,
            "{}",
            c.chars_per_token()
        );
        c.observe(10, 5); // too small to count
        c.observe(10_000, 100); // 100 characters a token: not plausible
        assert!((c.chars_per_token() - 2.0).abs() < 0.05);
        assert_eq!(tokens(&"x".repeat(100), 2.0), 50);
    }
}
