//! `codecrucible config get|set|reset|show|path`.

use super::args::ConfigCmd;
use super::{config_error, EXIT_OK};
use crate::config::{edit, load, Config, Overrides};

pub fn run(action: &ConfigCmd, overrides: &Overrides) -> i32 {
    let path = match load::config_path(overrides) {
        Ok(p) => p,
        Err(e) => return config_error(&e),
    };
    let result = match action {
        ConfigCmd::Path => {
            println!("{}", path.display());
            Ok(())
        }
        ConfigCmd::Get { key } => Config::load(overrides)
            .and_then(|c| edit::get(&c, key))
            .map(|v| println!("{v}")),
        ConfigCmd::Show => Config::load(overrides).and_then(|c| {
            let text = edit::show(&c)?;
            match &c.source {
                Some(p) => println!("# effective settings: defaults + {}\n", p.display()),
                None => println!(
                    "# effective settings: defaults (no file at {})\n",
                    path.display()
                ),
            }
            print!("{text}");
            Ok(())
        }),
        ConfigCmd::Set { key, value } => edit::set(&path, key, value).map(|()| {
            eprintln!(
                "set {} in {}",
                crate::config::schema::normalize_key(key),
                path.display()
            );
        }),
        ConfigCmd::Reset { key } => edit::reset(&path, key).map(|removed| {
            let key = crate::config::schema::normalize_key(key);
            if removed {
                eprintln!("reset {key}: the default applies again");
            } else {
                eprintln!(
                    "{key} was not set in {}; the default already applies",
                    path.display()
                );
            }
        }),
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => config_error(&e),
    }
}
