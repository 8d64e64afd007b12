//! Estimating how many tokens a conversation takes, and trimming the oldest turns when it
//! would not fit the model's loaded window.

use super::events::ContextItem;
use super::files::Gathered;
use crate::backend::{ChatMessage, Role};

/// A conservative estimate: code and non-English text run at about 3.5 characters a
/// token with common tokenizers, and each message carries a few tokens of framing.
pub fn estimate(messages: &[ChatMessage]) -> u64 {
    messages
        .iter()
        .map(|m| (m.content.len() as u64 * 2).div_ceil(7) + 4)
        .sum()
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

/// Tokens a piece of text takes, by the same measure as [`estimate`].
pub fn tokens(text: &str) -> u64 {
    (text.len() as u64 * 2).div_ceil(7)
}

/// Takes files in order while they fit `budget`; one that does not fit is left out and
/// later, smaller ones may still go in.
pub fn pick_files(files: &[Gathered], budget: u64) -> Picked {
    let mut text = String::new();
    let mut used = 0;
    let mut items = Vec::with_capacity(files.len());
    for g in files {
        let block = crate::workspace::attach::block(&g.text, g.changed);
        let need = tokens(&block);
        let fits = used + need <= budget;
        if fits {
            text += &block;
            text.push('\n');
            used += need;
        }
        items.push(ContextItem {
            path: g.text.file.label(),
            source: g.source,
            tokens: need,
            included: fits,
            changed: g.changed,
            dropped: (!fits).then(|| {
                format!(
                    "needs about {need} tokens and {} of {budget} are left",
                    budget - used
                )
            }),
        });
    }
    if !text.is_empty() {
        text = format!(
            "Files from the workspace (each line starts with its number and `|`, which are \
             not part of the file):\n\n{text}\n"
        );
    }
    Picked { text, used, items }
}

/// Drops the oldest turns (never the system prompt or the newest user message) until the
/// conversation fits `budget`, and says how many messages were dropped. A user message
/// goes with the assistant reply that followed it, so no answer is left without its question.
pub fn trim_oldest(messages: &mut Vec<ChatMessage>, budget: u64) -> usize {
    let mut dropped = 0;
    while estimate(messages) > budget {
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
        assert!(estimate(&conv(1, 3500)) >= 1000);
        assert!(estimate(&conv(1, 35)) < 20);
    }

    #[test]
    fn trims_the_oldest_turns_and_keeps_system_and_newest() {
        let mut m = conv(5, 700); // 5 turns of ~200 tokens
        let dropped = trim_oldest(&mut m, 450);
        assert_eq!(dropped, 4, "two whole turns");
        assert_eq!(m[0].role, Role::System);
        assert_eq!(m.last().map(|x| x.role), Some(Role::User));
        let mut alone = conv(1, 7000);
        assert_eq!(
            trim_oldest(&mut alone, 100),
            0,
            "the newest message is never dropped"
        );
    }
}
