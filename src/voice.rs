//! The six voices (archetypes), each a system prompt and a soft routing bias. The built-in
//! ones are data files under assets/voices; a user adds or overrides voices with TOML files
//! in the `voices` folder beside their config file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::router::{Route, VoicePrior};

const BUILTIN: [(&str, &str); 6] = [
    (
        "explorer.toml",
        include_str!("../assets/voices/explorer.toml"),
    ),
    (
        "analyzer.toml",
        include_str!("../assets/voices/analyzer.toml"),
    ),
    (
        "developer.toml",
        include_str!("../assets/voices/developer.toml"),
    ),
    (
        "implementor.toml",
        include_str!("../assets/voices/implementor.toml"),
    ),
    (
        "security.toml",
        include_str!("../assets/voices/security.toml"),
    ),
    (
        "architect.toml",
        include_str!("../assets/voices/architect.toml"),
    ),
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Voice {
    pub name: String,
    pub order: u32,
    /// The route this voice leans to for borderline prompts.
    pub backend: Route,
    /// How far it leans, in [0, 0.5].
    pub bias: f32,
    #[serde(default)]
    pub key: String,
    pub description: String,
    pub system_prompt: String,
    /// Where it came from: `builtin` or a file path.
    #[serde(skip_deserializing, default)]
    pub source: String,
}

impl Voice {
    pub fn prior(&self) -> VoicePrior {
        VoicePrior {
            name: self.name.clone(),
            route: self.backend,
            bias: self.bias,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct VoiceError(pub String);

#[derive(Debug, Clone)]
pub struct Voices {
    list: Vec<Voice>,
}

impl Voices {
    /// The built-in voices only.
    pub fn builtin() -> Self {
        let list = BUILTIN
            .iter()
            .filter_map(|(file, text)| parse(Path::new(file), text, "builtin").ok())
            .collect();
        Self { list }
    }

    /// The built-in voices plus the user's `*.toml` files in `dir` (a user voice with a
    /// built-in's name replaces it). A broken file is an error naming it.
    pub fn load(dir: Option<&Path>) -> Result<Self, VoiceError> {
        let mut voices = Self::builtin();
        let Some(dir) = dir.filter(|d| d.is_dir()) else {
            return Ok(voices);
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|e| VoiceError(format!("cannot read {}: {e}", dir.display())))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                VoiceError(format!("cannot read voice file {}: {e}", path.display()))
            })?;
            let voice = parse(&path, &text, &path.display().to_string())?;
            voices
                .list
                .retain(|v| !v.name.eq_ignore_ascii_case(&voice.name));
            voices.list.push(voice);
        }
        voices.list.sort_by_key(|v| v.order);
        Ok(voices)
    }

    pub fn list(&self) -> &[Voice] {
        &self.list
    }

    /// Finds a voice by name, case-insensitively.
    pub fn get(&self, name: &str) -> Result<&Voice, VoiceError> {
        self.list
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = self.list.iter().map(|v| v.name.as_str()).collect();
                VoiceError(format!(
                    "there is no voice \"{name}\"; the voices are {}",
                    names.join(", ")
                ))
            })
    }
}

fn parse(path: &Path, text: &str, source: &str) -> Result<Voice, VoiceError> {
    let mut v: Voice = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
        VoiceError(format!(
            "voice file {}{at}: {}",
            path.display(),
            e.message()
        ))
    })?;
    let bad = |why: &str| VoiceError(format!("voice file {}: {why}", path.display()));
    if v.name.trim().is_empty() {
        return Err(bad("`name` is empty"));
    }
    if v.system_prompt.trim().is_empty() {
        return Err(bad("`system_prompt` is empty"));
    }
    if !(0.0..=0.5).contains(&v.bias) {
        return Err(bad("`bias` must be between 0 and 0.5"));
    }
    v.system_prompt = v.system_prompt.trim().to_owned();
    v.source = source.to_owned();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_builtin_voices_in_order_with_their_bias() {
        let v = Voices::builtin();
        let names: Vec<&str> = v.list().iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Explorer",
                "Analyzer",
                "Developer",
                "Implementor",
                "Security",
                "Architect"
            ]
        );
        let routes: Vec<Route> = v.list().iter().map(|v| v.backend).collect();
        use Route::*;
        assert_eq!(routes, [Lmstudio, Ollama, Hybrid, Lmstudio, Ollama, Ollama]);
        for voice in v.list() {
            let opening = format!("You are CodeCrucible's {} voice: ", voice.name);
            assert!(voice.system_prompt.starts_with(&opening), "{}", voice.name);
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_unknown_names_list_the_real_ones() {
        let v = Voices::builtin();
        assert_eq!(v.get("architect").unwrap().name, "Architect");
        let e = v.get("poet").unwrap_err();
        assert!(e.0.contains("Explorer") && e.0.contains("poet"));
    }

    #[test]
    fn user_voices_add_and_override_and_broken_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("reviewer.toml"),
            "name = \"Reviewer\"\norder = 7\nbackend = \"ollama\"\nbias = 0.2\ndescription = \"PR reviews\"\nsystem_prompt = \"You are CodeCrucible's Reviewer voice: review.\"\n",
        )
        .unwrap();
        let v = Voices::load(Some(dir.path())).unwrap();
        assert_eq!(v.list().len(), 7);
        assert!(v.get("reviewer").unwrap().source.ends_with("reviewer.toml"));
        std::fs::write(
            dir.path().join("broken.toml"),
            "name = \"X\"\norder = 8\nbackend = \"gpt\"\n",
        )
        .unwrap();
        let e = Voices::load(Some(dir.path())).unwrap_err();
        assert!(e.0.contains("broken.toml") && e.0.contains("line 3"), "{e}");
    }
}
