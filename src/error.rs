//! Exit codes of the contract, in one place.

use std::process::ExitCode;

/// How a command that did not fail with an error ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 3: a `refresh`, `audit` or `tasks run` completed, but at least
    /// one task ended in ERROR.
    TasksFailed,
    /// Exit 130: interrupted by Ctrl-C (or SIGTERM).
    Interrupted,
}

/// Exit 1: any error (bad input, unknown account, database problem).
pub const EXIT_ERROR: u8 = 1;

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Success => 0,
            Outcome::TasksFailed => 3,
            Outcome::Interrupted => 130,
        })
    }
}

/// Whether an error is only a closed standard output (`nfa … | head`), which
/// is not a failure of `nfa`. The writers wrap the I/O error each their way.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|e| {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io.kind() == BrokenPipe;
        }
        if let Some(json) = e.downcast_ref::<serde_json::Error>() {
            return json.io_error_kind() == Some(BrokenPipe);
        }
        if let Some(csv) = e.downcast_ref::<csv::Error>()
            && let csv::ErrorKind::Io(io) = csv.kind()
        {
            return io.kind() == BrokenPipe;
        }
        false
    })
}
