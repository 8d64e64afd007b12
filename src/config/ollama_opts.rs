//! The Ollama-only settings a chat request carries: how long the model stays loaded
//! (`keep_alive`) and whether a model thinks (`think`, both protocols). Pure parsing, so the
//! config can check a value and the client can send it in the form Ollama accepts.

use serde::{Deserialize, Serialize};

/// `keep_alive` as Ollama reads it (api/types.go `Duration.UnmarshalJSON`): a JSON number is
/// seconds (negative: forever), a string goes through Go's `time.ParseDuration`. A bare
/// number in a string ("300", "-1") is not a Go duration, so it is sent as a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepAlive {
    Seconds(i64),
    Duration(String),
}

impl KeepAlive {
    /// Parses what a user writes: "30m", "1h30m", "0", "-1", "300".
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Ok(KeepAlive::Seconds(n));
        }
        if go_duration(s) {
            Ok(KeepAlive::Duration(s.to_owned()))
        } else {
            Err(format!(
                "\"{s}\" is not a duration; use a number with a unit (\"30m\", \"1h\", \"90s\"), \
                 a number of seconds (\"300\"), \"0\" to unload after each answer, or \"-1\" to \
                 keep the model loaded"
            ))
        }
    }

    /// The JSON value for the request body.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            KeepAlive::Seconds(n) => serde_json::Value::from(*n),
            KeepAlive::Duration(d) => serde_json::Value::from(d.as_str()),
        }
    }
}

/// True for Go's duration syntax: an optional sign, then one or more decimal numbers (a
/// fraction allowed), each with a unit of ns, us, µs, ms, s, m or h ("1h30m", "1.5h").
fn go_duration(s: &str) -> bool {
    let mut rest = s.strip_prefix(['-', '+']).unwrap_or(s);
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .find(|u| rest.starts_with(u) && !(u == &"m" && rest.starts_with("ms")))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

/// Whether a model should think before it answers (`think` per role). Thinking models
/// (qwen3, deepseek-r1, gpt-oss) think unless told not to; their thinking is shown apart
/// from the answer and never scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Think {
    /// Ask the model not to think (`think: false`).
    Off,
    /// Ask a model that can think to do so; models that cannot are not asked (Ollama
    /// answers 400 "does not support thinking" to `think: true`).
    On,
    /// Send nothing: the model does what it does by default.
    #[default]
    Auto,
}

pub const THINK_VALUES: &[&str] = &["off", "on", "auto"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_takes_ollamas_forms() {
        assert_eq!(
            KeepAlive::parse("30m"),
            Ok(KeepAlive::Duration("30m".into()))
        );
        assert_eq!(
            KeepAlive::parse("1h30m"),
            Ok(KeepAlive::Duration("1h30m".into()))
        );
        assert_eq!(
            KeepAlive::parse("1.5h"),
            Ok(KeepAlive::Duration("1.5h".into()))
        );
        assert_eq!(KeepAlive::parse("0"), Ok(KeepAlive::Seconds(0)));
        assert_eq!(KeepAlive::parse("-1"), Ok(KeepAlive::Seconds(-1)));
        assert_eq!(KeepAlive::parse("300"), Ok(KeepAlive::Seconds(300)));
        assert_eq!(
            KeepAlive::parse("-1").unwrap().to_json(),
            serde_json::json!(-1)
        );
        assert_eq!(
            KeepAlive::parse("30m").unwrap().to_json(),
            serde_json::json!("30m")
        );
        for bad in ["", "30 minutes", "m", "1x", "1..5h", "h1", "30M", "-"] {
            let e = KeepAlive::parse(bad).unwrap_err();
            assert!(e.contains("not a duration"), "{bad}: {e}");
        }
    }
}
