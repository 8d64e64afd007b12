//! Judging a hybrid draft while it streams (issue 16, "Early escalation"): a draft that is
//! clearly failing is stopped and escalated at once, instead of streaming to its token limit
//! first. Only what cannot turn good again counts as clearly failing:
//! - a loop: nearly every recent phrase is a repeat, or the text has become one short unit
//!   over and over (`////…`, `}}}}…`);
//! - a refusal that opens the answer, with no code after it;
//! - prose in another script than the prompt's (a Chinese answer to an English question);
//! - a code block still open past a size no fast draft needs, or nesting deeper than code
//!   is written.
//!
//! A draft can also look *doubtful* (repeats rising, but not yet a loop): the engine may use
//! that to warm the quality model up, so an escalation that follows starts on a loaded model.
//!
//! Every check looks at a bounded window, and runs once per [`STEP`] bytes of new text, so
//! watching a stream costs O(window) per step whatever the answer's length.

use super::fences;
use super::repetition;
use super::text_signals;
use crate::text::short::tail;

/// Text between two checks.
pub const STEP: usize = 512;
/// The window of recent text the loop check reads.
const LOOP_WINDOW: usize = 3_000;
/// A window with fewer words says too little.
const LOOP_MIN_WORDS: usize = 150;
/// From this share of repeated 6-grams in the window, the draft is a loop. Real answers
/// with much boilerplate (tests, tables) stay well under it; degenerate ones sit near 1.
const LOOP_SHARE: f32 = 0.8;
/// From this share on, the draft is doubtful.
const DOUBT_SHARE: f32 = 0.45;
/// The tail checked for a short repeating unit, and the longest unit.
const UNIT_TAIL: usize = 600;
const MAX_UNIT: usize = 32;
/// The refusal check reads the answer's start, once at least this much has arrived.
const REFUSAL_AT: usize = 200;
const REFUSAL_HEAD: usize = 160;
/// The script check needs this many letters of prose.
const SCRIPT_MIN_LETTERS: usize = 80;
/// A code block open this long, or nested this deep, is not a draft worth finishing.
const OPEN_BLOCK_MAX: usize = 48 * 1024;
const NESTING_MAX: usize = 64;

/// What the watch concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Failing beyond repair: stop it. The sentence says why, for the user and the quality
    /// server.
    Failing(String),
    /// Not failing yet, but sliding: worth preparing the escalation.
    Doubtful(String),
}

/// Watches one streaming draft.
#[derive(Debug)]
pub struct Watch {
    prompt_script: Option<Script>,
    checked_at: usize,
    refusal_checked: bool,
    doubted: bool,
    fences: Fences,
}

impl Watch {
    pub fn new(prompt: &str) -> Self {
        Self {
            prompt_script: dominant_script(prompt, 0.6),
            checked_at: 0,
            refusal_checked: false,
            doubted: false,
            fences: Fences::default(),
        }
    }

    /// Looks at the draft so far (`text` only grows). `None` until there is news; a
    /// `Doubtful` verdict is given once.
    pub fn check(&mut self, text: &str) -> Option<Verdict> {
        if text.len() < self.checked_at + STEP {
            return None;
        }
        self.checked_at = text.len();
        if let Some(why) = self.failing(text) {
            return Some(Verdict::Failing(why));
        }
        if !self.doubted {
            if let Some(share) = repeat_share(tail(text, LOOP_WINDOW)).filter(|s| *s >= DOUBT_SHARE)
            {
                self.doubted = true;
                return Some(Verdict::Doubtful(format!(
                    "the draft is repeating itself ({:.0}% of recent phrases)",
                    share * 100.0
                )));
            }
        }
        None
    }

    fn failing(&mut self, text: &str) -> Option<String> {
        let window = tail(text, LOOP_WINDOW);
        if let Some(share) = repeat_share(window).filter(|s| *s >= LOOP_SHARE) {
            return Some(format!(
                "the draft is looping ({:.0}% of its recent phrases are repeats)",
                share * 100.0
            ));
        }
        if let Some(unit) = repeating_unit(tail(text, UNIT_TAIL)) {
            let shown = crate::text::terminal::line(unit, " ").into_owned();
            return Some(format!("the draft is looping (\"{shown}\" over and over)"));
        }
        if !self.refusal_checked && text.len() >= REFUSAL_AT {
            self.refusal_checked = true;
            if let Some(why) = refusal(text) {
                return Some(why);
            }
        }
        if let Some(why) = self.wrong_script(text) {
            return Some(why);
        }
        open_structure(&mut self.fences, text)
    }

    /// Prose in a script other than the prompt's, judged on the answer's first prose.
    fn wrong_script(&self, text: &str) -> Option<String> {
        let asked = self.prompt_script?;
        let head = crate::text::short::head(text, 2_000);
        let prose = fences::split(head).prose;
        let answered = dominant_script(&prose, 0.8)?;
        (answered != asked).then(|| {
            format!(
                "the draft is written in {} script, and the request in {}",
                answered.name(),
                asked.name()
            )
        })
    }
}

/// The share of repeated word 6-grams in `window`, when it has enough words to say.
fn repeat_share(window: &str) -> Option<f32> {
    let words = window.split_whitespace().count();
    (words >= LOOP_MIN_WORDS).then(|| repetition::share_of_repeats(window))
}

/// A unit of at most [`MAX_UNIT`] bytes that `tail` is made of, over and over.
fn repeating_unit(tail: &str) -> Option<&str> {
    let b = tail.as_bytes();
    if b.len() < UNIT_TAIL {
        return None;
    }
    let period = (1..=MAX_UNIT).find(|&p| (p..b.len()).all(|i| b[i] == b[i - p]))?;
    let unit = &b[b.len() - period..];
    let unit = std::str::from_utf8(unit).ok()?;
    // Whitespace alone is layout, not a loop.
    (!unit.trim().is_empty()).then_some(unit)
}

/// An answer that opens by refusing and has no code to show for it.
fn refusal(text: &str) -> Option<String> {
    let head = crate::text::short::head(text, REFUSAL_AT * 2);
    if head.contains("```") || head.contains("~~~") {
        return None;
    }
    let opening = head_chars(head, REFUSAL_HEAD);
    let doc = fences::split(opening);
    let s = text_signals::refusal(opening, &doc);
    (s.score <= 0.1).then(|| format!("the draft opens with a refusal: {}", s.detail))
}

/// Where fenced code blocks open and close, read once, line by line, as the draft grows:
/// each check reads only the lines that arrived since the last one.
#[derive(Debug, Default)]
struct Fences {
    /// Bytes of the text read so far (whole lines only).
    read_to: usize,
    /// The open block's fence, and where its body starts.
    open: Option<(crate::text::fence::Fence<'static>, usize)>,
}

impl Fences {
    /// Reads the whole lines of `text` not read yet; where the open block's body starts.
    fn update(&mut self, text: &str) -> Option<usize> {
        let end = text.rfind('\n').map_or(0, |i| i + 1);
        let start = self.read_to.min(end);
        let mut at = start;
        for line in text[start..end].split_inclusive('\n') {
            let bare = line.trim_end_matches(['\n', '\r']);
            match &self.open {
                Some((f, _)) if f.closed_by(bare) => self.open = None,
                Some(_) => {}
                None => {
                    if let Some(f) = crate::text::fence::opening(bare) {
                        let shape = crate::text::fence::Fence { info: "", ..f };
                        self.open = Some((shape, at + line.len()));
                    }
                }
            }
            at += line.len();
        }
        self.read_to = end;
        self.open.as_ref().map(|(_, body)| (*body).min(text.len()))
    }
}

/// A code block left open past any size a draft needs, or nested past reason.
fn open_structure(fences: &mut Fences, text: &str) -> Option<String> {
    let start = fences.update(text)?;
    let body = &text[start..];
    if body.len() > OPEN_BLOCK_MAX {
        return Some(format!(
            "the draft's code block has run to {} KiB without closing",
            body.len() / 1024
        ));
    }
    let depth = nesting(tail(body, 8 * 1024));
    (depth > NESTING_MAX).then(|| format!("the draft's code nests {depth} levels deep"))
}

/// The deepest bracket nesting in `code` (never below zero).
fn nesting(code: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in code.bytes() {
        match c {
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Writing systems told apart by the script check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
    Cjk,
    Hangul,
    Arabic,
    Hebrew,
    Devanagari,
    Thai,
}

impl Script {
    fn of(c: char) -> Option<Script> {
        let s = match c as u32 {
            0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F => Script::Latin,
            0x370..=0x3FF => Script::Greek,
            0x400..=0x52F => Script::Cyrillic,
            0x590..=0x5FF => Script::Hebrew,
            0x600..=0x6FF | 0x750..=0x77F => Script::Arabic,
            0x900..=0x97F => Script::Devanagari,
            0xE00..=0xE7F => Script::Thai,
            0x1100..=0x11FF | 0xAC00..=0xD7AF => Script::Hangul,
            0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF => Script::Cjk,
            _ => return None,
        };
        Some(s)
    }

    fn name(self) -> &'static str {
        match self {
            Script::Latin => "Latin",
            Script::Cyrillic => "Cyrillic",
            Script::Greek => "Greek",
            Script::Cjk => "Chinese or Japanese",
            Script::Hangul => "Korean",
            Script::Arabic => "Arabic",
            Script::Hebrew => "Hebrew",
            Script::Devanagari => "Devanagari",
            Script::Thai => "Thai",
        }
    }
}

/// The script at least `share` of `text`'s letters are in, when it has enough letters.
fn dominant_script(text: &str, share: f32) -> Option<Script> {
    let mut counts: Vec<(Script, usize)> = Vec::new();
    let mut letters = 0usize;
    for s in text.chars().filter_map(Script::of) {
        letters += 1;
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    if letters < SCRIPT_MIN_LETTERS.min(text.chars().count() / 2).max(12) {
        return None;
    }
    let (script, n) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    (n as f32 >= share * letters as f32).then_some(script)
}

fn head_chars(text: &str, n: usize) -> &str {
    text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `text` in small pieces, as a stream, and returns the first verdict of each
    /// kind with the bytes that had arrived.
    fn watch(prompt: &str, text: &str) -> Vec<(usize, Verdict)> {
        let mut w = Watch::new(prompt);
        let mut so_far = String::new();
        let mut out = Vec::new();
        for c in text.chars() {
            so_far.push(c);
            if let Some(v) = w.check(&so_far) {
                let failing = matches!(v, Verdict::Failing(_));
                out.push((so_far.len(), v));
                if failing {
                    break;
                }
            }
        }
        out
    }

    fn failed_at(prompt: &str, text: &str) -> Option<usize> {
        watch(prompt, text)
            .into_iter()
            .find(|(_, v)| matches!(v, Verdict::Failing(_)))
            .map(|(at, _)| at)
    }

    const PROMPT: &str = "Write a Python function that parses a date string and explain it.";

    #[test]
    fn a_looping_draft_is_stopped_within_a_few_kilobytes() {
        let lo = "The function returns the parsed date and the parsed date is returned by the function. ";
        let text = format!("Here is the idea.\n\n{}", lo.repeat(400));
        let at = failed_at(PROMPT, &text).expect("stopped");
        assert!(at < 4_000, "stopped after {at} bytes of {}", text.len());
        let slashes = format!("```python\nx = 1 {}", "/".repeat(5_000));
        let at = failed_at(PROMPT, &slashes).expect("a unit loop is stopped");
        assert!(at < 2_000, "{at}");
    }

    #[test]
    fn a_long_good_answer_is_never_stopped() {
        let mut text = String::from("Here is a parser with tests.\n\n```python\n");
        for i in 0..400 {
            text.push_str(&format!(
                "def test_case_{i}():\n    assert parse_date(\"2024-01-{:02}\") == date(2024, 1, {})\n\n",
                i % 28 + 1,
                i % 28 + 1
            ));
        }
        text.push_str("```\n\nEach test checks one day of January; the parser splits on '-'.\n");
        assert!(text.len() > 30_000);
        assert_eq!(failed_at(PROMPT, &text), None);
        let prose: String = (0..300)
            .map(|i| {
                format!("Step {i} moves the cursor past field number {i} and records its width. ")
            })
            .collect();
        assert_eq!(
            failed_at(PROMPT, &prose),
            None,
            "numbered steps are not a loop"
        );
    }

    #[test]
    fn a_refusal_that_opens_the_answer_is_stopped_but_a_caveat_before_code_is_not() {
        let refusal = "I'm sorry, but I can't help with that request. It would not be appropriate \
                       for me to write this. Please consult the documentation or a colleague who \
                       knows the codebase better than I do, they will be able to help you.";
        // A refusal that goes on (checks come every STEP bytes; a short one ends first and
        // is judged whole).
        let refusal = format!(
            "{refusal} {}",
            "There are many resources online for this. ".repeat(12)
        );
        assert!(failed_at(PROMPT, &refusal).is_some());
        let caveat = "As an AI I can't run this, but here it is:\n```python\ndef parse(s):\n    \
                      return date.fromisoformat(s)\n```\nIt uses the standard library's ISO parser, \
                      which accepts YYYY-MM-DD and raises ValueError on anything else.";
        assert_eq!(failed_at(PROMPT, caveat), None);
    }

    #[test]
    fn prose_in_another_script_than_the_prompts_is_stopped() {
        let chinese = "这个函数解析日期字符串。".repeat(40);
        assert!(failed_at(PROMPT, &chinese).is_some());
        // A Chinese request answered in Chinese is fine, code and all.
        let asked = "写一个解析日期字符串的Python函数，并解释它是如何工作的。请给出完整代码。";
        let answer = format!(
            "{}\n```python\ndef parse(s):\n    return s\n```\n",
            "这个函数解析日期字符串。".repeat(40)
        );
        assert_eq!(failed_at(asked, &answer), None);
        // Code in a Latin-script answer to a Russian prompt is not prose in another script.
        let russian =
            "Напишите функцию на Python, которая разбирает строку с датой, и объясните её.";
        let code = format!(
            "```python\n{}```\n",
            "def parse(s):\n    return s.split('-')\n".repeat(30)
        );
        assert_eq!(failed_at(russian, &code), None);
    }

    #[test]
    fn a_code_block_open_past_its_size_or_nested_absurdly_is_stopped() {
        let line = "    value = compute(alpha, beta, gamma, delta) + offset_table[index]\n";
        let mut text = String::from("```python\n");
        let mut n = 0;
        while text.len() < OPEN_BLOCK_MAX + 2 * STEP {
            text.push_str(&line.replace("index", &format!("i{n}")));
            n += 1;
        }
        assert!(failed_at(PROMPT, &text).is_some());
        let nested = format!("```json\n{}", "[{\"a\": ".repeat(200));
        assert!(failed_at(PROMPT, &nested).is_some());
    }

    #[test]
    fn rising_repeats_are_doubtful_once_before_they_fail() {
        let mut text = String::from("Plan:\n");
        for i in 0..60 {
            text.push_str(&format!(
                "First we read the file number {i} from the disk and then "
            ));
            text.push_str("we parse it into a date and we return the date to the caller. ");
        }
        let verdicts = watch(PROMPT, &text);
        let doubts = verdicts
            .iter()
            .filter(|(_, v)| matches!(v, Verdict::Doubtful(_)))
            .count();
        assert_eq!(doubts, 1, "{verdicts:?}");
    }

    #[test]
    fn fences_are_read_once_and_a_line_split_across_checks_is_read_whole() {
        let mut f = Fences::default();
        assert_eq!(f.update("Here:\n``"), None, "a partial line waits");
        let text = "Here:\n```python\nx = 1\n";
        assert_eq!(f.update(text), Some("Here:\n```python\n".len()));
        let text = format!("{text}```\nDone.\n");
        assert_eq!(f.update(&text), None, "closed");
        assert_eq!(f.read_to, text.len());
    }
}
