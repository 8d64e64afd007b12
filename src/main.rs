use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = codecrucible::cli::Cli::parse();
    codecrucible::logging::init();
    let code = codecrucible::cli::run(cli);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
