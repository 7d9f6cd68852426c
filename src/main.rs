//! `nfa`: parses the command line, runs the command, maps the outcome to an
//! exit code (0 success, 1 error, 2 usage, 3 a task ended in ERROR, 130
//! interrupted).

use clap::Parser;
use nfa::cli::Cli;
use nfa::error::{CommandError, is_broken_pipe};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| nfa::cli::run(cli));
    let error = match result {
        Ok(Ok(outcome)) => return outcome.exit_code(),
        Ok(Err(e)) if is_broken_pipe(&e) => return ExitCode::SUCCESS,
        Ok(Err(e)) => CommandError::new(&e),
        Err(panic) => CommandError::panicked(
            panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("a panic"),
        ),
    };
    for line in error.lines() {
        eprintln!("{line}");
    }
    error.exit_code()
}
