//! `codecrucible route` and `codecrucible voices`: the router's view, without any server.

use serde::Serialize;

use super::input::read_input;
use super::{EXIT_OK, EXIT_USAGE};
use crate::backend::BackendId;
use crate::config::Config;
use crate::router::{self, BackendState, Features, RoutingDecision, Signals, TaskType};
use crate::voice::{Voice, Voices};

#[derive(Serialize)]
struct RouteReport<'a> {
    #[serde(flatten)]
    decision: &'a RoutingDecision,
    voice: Option<&'a str>,
    features: &'a Features,
    /// Each task type's probability, strongest first.
    task_probabilities: Vec<(TaskType, f32)>,
}

pub fn route(config: &Config, prompt: &str, voice: Option<&Voice>, json: bool) -> i32 {
    let (prompt, attachments) = match read_input(Some(prompt)) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("codecrucible: {msg}");
            return EXIT_USAGE;
        }
    };
    let texts: Vec<&str> = attachments.iter().map(|a| a.text.as_str()).collect();
    let analysis = router::analyze(&prompt, &texts);
    let decision = router::decide(
        &analysis,
        voice.map(Voice::prior).as_ref(),
        &config.hybrid.routing,
        &static_signals(config),
    );
    if json {
        let mut task_probabilities: Vec<(TaskType, f32)> = TaskType::ALL
            .iter()
            .map(|t| {
                (
                    *t,
                    (analysis.probabilities[t.index()] * 1000.0).round() / 1000.0,
                )
            })
            .collect();
        task_probabilities.sort_by(|a, b| b.1.total_cmp(&a.1));
        let report = RouteReport {
            decision: &decision,
            voice: voice.map(|v| v.name.as_str()),
            features: &analysis.features,
            task_probabilities,
        };
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        print!("{}", describe(&decision, voice));
    }
    EXIT_OK
}

/// Without a running engine the router knows only which servers are switched off.
fn static_signals(config: &Config) -> Signals {
    let mut s = Signals::default();
    for b in BackendId::ALL {
        let cfg = config.backend(b);
        s.health[b] = if cfg.enabled {
            BackendState::Unknown
        } else {
            BackendState::Disabled
        };
        s.max_concurrent[b] = cfg.max_concurrent;
    }
    s
}

fn describe(d: &RoutingDecision, voice: Option<&Voice>) -> String {
    let mut s = format!(
        "route:      {}\ntask:       {} (complexity {:.2})\nconfidence: {:.2}\nwhy:        {}\nfallback:   {}\n",
        d.selected.label(),
        d.task_type,
        d.complexity,
        d.confidence,
        d.reasoning,
        d.fallback_strategy
    );
    if let Some(v) = voice {
        s += &format!("voice:      {} (leans to {})\n", v.name, v.backend.as_str());
    }
    for a in &d.adjustments {
        s += &format!(
            "adjusted:   {} → {} by {}: {}\n",
            a.from.as_str(),
            a.to.as_str(),
            a.kind,
            a.reason
        );
    }
    s
}

pub fn voices(voices: &Voices, json: bool) -> i32 {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(voices.list()).unwrap_or_default()
        );
        return EXIT_OK;
    }
    for v in voices.list() {
        let key = if v.key.is_empty() {
            String::new()
        } else {
            format!("[{}] ", v.key)
        };
        println!(
            "{key}{:<12} leans to {:<8} {}",
            v.name,
            v.backend.as_str(),
            v.description
        );
        if v.source != "builtin" {
            println!("{:>16}from {}", "", v.source);
        }
    }
    EXIT_OK
}
