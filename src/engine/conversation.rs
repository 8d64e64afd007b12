//! The conversation a request sends: its session (created or carried on), the system prompt
//! from the voice, the session's earlier turns, and the user's input with its attachments.
//! Front ends only say what the user typed and which session it belongs to.

use super::events::{Attachment, Submit};
use crate::backend::{ChatMessage, Role};
use crate::store::{SessionChoice, SessionId, Store};

/// The system prompt when no voice is chosen.
pub const SYSTEM_PROMPT: &str = "You are CodeCrucible, a coding assistant running on the \
developer's own machine. Answer precisely and concisely; put code in fenced blocks with the \
language named.";

/// A session ready for the next turn.
pub struct Opened {
    pub session: SessionId,
    /// It was created for this request.
    pub new: bool,
    /// Its earlier turns: user messages and final answers, drafts and cut-short answers
    /// left out.
    pub prior: Vec<ChatMessage>,
    /// The server and model of its latest final answer, when there is one.
    pub last: Option<(crate::backend::BackendId, Option<String>)>,
}

/// Creates or finds the session on the writer thread. `stored` says whether `store` is the
/// history database or this engine's memory (history off), which changes what can be
/// carried on and how a missing session is explained.
pub fn open(
    store: &Store,
    stored: bool,
    choice: SessionChoice,
    submit_input: &str,
    voice: Option<&str>,
) -> Result<Opened, String> {
    if !stored && choice == SessionChoice::Continue {
        return Err(HISTORY_OFF.into());
    }
    // Without history only this run's sessions exist: say why another one is missing.
    let carried = store.carry_on(choice).map_err(|e| match choice {
        SessionChoice::Resume(id) if !stored => {
            format!("there is no session {id} in this run, and {HISTORY_OFF_REASON}")
        }
        _ => e.0,
    })?;
    match carried {
        Some((session, prior)) => Ok(Opened {
            session,
            new: false,
            prior,
            // A failed read only loses the preference, never the turn.
            last: store
                .last_served(session)
                .ok()
                .flatten()
                .and_then(|(b, m)| {
                    let id = crate::backend::BackendId::ALL
                        .into_iter()
                        .find(|id| id.as_str() == b)?;
                    Some((id, m))
                }),
        }),
        None => {
            let session = store.create_session(submit_input, voice).map_err(|e| e.0)?;
            Ok(Opened {
                session,
                new: true,
                prior: Vec::new(),
                last: None,
            })
        }
    }
}

const HISTORY_OFF_REASON: &str =
    "history is off or unavailable (`codecrucible config set history.enabled true` turns it on)";
const HISTORY_OFF: &str = "there is no earlier session to carry on: history is off or unavailable \
(`codecrucible config set history.enabled true` turns it on)";

/// What is sent: the voice's system prompt, the earlier turns, and the input with its
/// attachments below it.
/// `whole_file_lines` is `workspace.whole_file_lines`: the edit format's size threshold;
/// `demo` asks an edit for a demonstration to run (the workspace has no tests to check it).
pub fn messages(
    submit: &Submit,
    prior: Vec<ChatMessage>,
    whole_file_lines: u64,
    demo: bool,
) -> Vec<ChatMessage> {
    let system = submit
        .voice
        .as_ref()
        .map_or(SYSTEM_PROMPT, |v| v.system_prompt.as_str());
    let system = if submit.edit {
        let format = crate::edit::prompt::instructions(whole_file_lines as usize);
        if demo {
            format!("{system}\n\n{format}\n\n{}", crate::edit::demo::PROMPT)
        } else {
            format!("{system}\n\n{format}")
        }
    } else {
        system.to_owned()
    };
    let mut messages = Vec::with_capacity(prior.len() + 2);
    messages.push(ChatMessage::new(Role::System, system));
    messages.extend(prior);
    messages.push(ChatMessage::new(
        Role::User,
        with_attachments(&submit.input, &submit.attachments),
    ));
    messages
}

/// The user's message with each attachment in a fenced block below it.
pub fn with_attachments(input: &str, attachments: &[Attachment]) -> String {
    let mut text = input.to_owned();
    for a in attachments {
        text += &format!("\n\nAttached {}:\n```\n{}\n```", a.name, a.text.trim_end());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Status;

    fn submit(input: &str) -> Submit {
        Submit::new(1, input)
    }

    #[test]
    fn a_new_session_is_created_and_titled_after_the_input() {
        let store = Store::in_memory().expect("store");
        let o = open(&store, true, SessionChoice::New, "fix the race", None).expect("open");
        assert!(o.new);
        assert!(o.prior.is_empty());
        let (head, _) = store.session(o.session).expect("read").expect("exists");
        assert_eq!(head.title, "fix the race");
    }

    #[test]
    fn a_carried_on_session_brings_its_final_turns_only() {
        let store = Store::in_memory().expect("store");
        let id = store.create_session("q1", None).expect("create");
        store
            .add_message(id, "user", "q1", Status::Complete, None, None)
            .expect("add");
        store
            .add_message(id, "assistant", "draft", Status::Draft, None, None)
            .expect("add");
        store
            .add_message(id, "assistant", "a1", Status::Complete, None, None)
            .expect("add");
        let o = open(&store, true, SessionChoice::Resume(id), "q2", None).expect("open");
        assert!(!o.new);
        let texts: Vec<&str> = o.prior.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["q1", "a1"]);
        let latest = open(&store, true, SessionChoice::Continue, "q3", None).expect("open");
        assert_eq!(latest.session, id);
    }

    #[test]
    fn without_history_only_this_runs_sessions_can_be_carried_on() {
        let memory = Store::in_memory().expect("store");
        let err = open(&memory, false, SessionChoice::Continue, "x", None)
            .err()
            .expect("refused");
        assert!(err.contains("history is off"), "{err}");
        let err = open(&memory, false, SessionChoice::Resume(7), "x", None)
            .err()
            .expect("refused");
        assert!(err.contains("no session 7"), "{err}");
        let first = open(&memory, false, SessionChoice::New, "x", None).expect("new");
        let again = open(
            &memory,
            false,
            SessionChoice::Resume(first.session),
            "y",
            None,
        );
        assert!(again.is_ok());
    }

    #[test]
    fn the_voice_sets_the_system_prompt_and_attachments_go_below_the_input() {
        let mut s = submit("explain");
        s.attachments.push(Attachment {
            name: "stdin".into(),
            text: "fn main() {}\n".into(),
        });
        let m = messages(
            &s,
            vec![ChatMessage::new(Role::User, "earlier")],
            400,
            false,
        );
        assert_eq!(m[0].content, SYSTEM_PROMPT);
        assert_eq!(m[1].content, "earlier");
        assert_eq!(
            m[2].content,
            "explain\n\nAttached stdin:\n```\nfn main() {}\n```"
        );
        let voices = crate::voice::Voices::builtin();
        s.voice = voices.get("security").ok().cloned();
        let m = messages(&s, Vec::new(), 400, false);
        assert!(m[0].content.contains("Security voice"), "{}", m[0].content);
    }
}
