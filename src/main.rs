//! `nfa`: parses the command line, runs the command, maps the outcome to an
//! exit code (0 success, 1 error, 2 usage, 3 a task ended in ERROR, 130
//! interrupted).

use clap::Parser;
use nfa::cli::Cli;
use nfa::error::{EXIT_ERROR, is_broken_pipe};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match nfa::cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "error: {}",
                nfa::render::for_terminal(&format!("{e:#}"), true)
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}
