use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    codecrucible::tui::install_panic_hook();
    let cli = codecrucible::cli::Cli::parse();
    codecrucible::logging::init();
    let code = codecrucible::cli::run(cli);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
