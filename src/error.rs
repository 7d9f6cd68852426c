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
/// Exit 70 (EX_SOFTWARE): a bug in nfa, which asks to be reported.
pub const EXIT_INTERNAL: u8 = 70;

/// An error with what to do about it: `hint:` lines after the `error:`
/// line (the error itself stays one line).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    pub hints: Vec<String>,
}

/// An error whose message is `message`, with `hints`.
pub fn hinted(message: impl Into<String>, hints: Vec<String>) -> anyhow::Error {
    Hinted {
        message: message.into(),
        hints,
    }
    .into()
}

/// A bug: something nfa itself got wrong, not the user's input or the
/// database's state.
#[derive(Debug, thiserror::Error)]
#[error("internal error: {0}")]
pub struct Internal(pub String);

/// An [`Internal`] error.
pub fn internal(what: impl Into<String>) -> anyhow::Error {
    Internal(what.into()).into()
}

/// An error as the command line shows it: one `error:` line, then its
/// hints; a bug has an exit code of its own and asks for a report (jj's
/// `command_error.rs` is the model).
#[derive(Debug)]
pub struct CommandError {
    pub message: String,
    pub hints: Vec<String>,
    pub internal: bool,
}

impl CommandError {
    pub fn new(err: &anyhow::Error) -> CommandError {
        let internal = err
            .chain()
            .any(<dyn std::error::Error + 'static>::is::<Internal>);
        let mut hints: Vec<String> = err
            .chain()
            .filter_map(|e| e.downcast_ref::<Hinted>())
            .flat_map(|h| h.hints.iter().cloned())
            .collect();
        if internal {
            hints.push(
                "this is a bug in nfa: please report it with the command you ran and this message"
                    .to_string(),
            );
        }
        CommandError {
            message: format!("{err:#}"),
            hints,
            internal,
        }
    }

    /// A panic: always a bug.
    pub fn panicked(what: &str) -> CommandError {
        CommandError::new(&internal(format!("nfa stopped unexpectedly ({what})")))
    }

    /// What standard error shows: `error: …` and `hint: …` lines, text
    /// escaped for a terminal.
    pub fn lines(&self) -> Vec<String> {
        let shown = |t: &str| crate::render::for_terminal(t, true).into_owned();
        let mut lines = vec![format!("error: {}", shown(&self.message))];
        lines.extend(self.hints.iter().map(|h| format!("hint: {}", shown(h))));
        lines
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(if self.internal {
            EXIT_INTERNAL
        } else {
            EXIT_ERROR
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_one_line_then_its_hints_and_a_bug_asks_for_a_report() {
        let e = hinted(
            "unknown account 'x'",
            vec!["nfa accounts list shows them".into()],
        );
        let e = e.context("refresh");
        let shown = CommandError::new(&e);
        assert!(!shown.internal);
        assert_eq!(
            shown.lines(),
            [
                "error: refresh: unknown account 'x'",
                "hint: nfa accounts list shows them"
            ]
        );
        let bug = CommandError::new(&internal("a query returned none"));
        assert!(bug.internal);
        assert_eq!(
            bug.lines()[0],
            "error: internal error: a query returned none"
        );
        assert!(bug.lines()[1].contains("bug in nfa"), "{:?}", bug.lines());
        assert!(CommandError::panicked("index out of bounds").internal);
    }
}
