//! Progress bars and human notes on standard error: only on a terminal, and
//! never with `-q`.

use crate::domain::task::TaskKind;
use crate::model::Account;
use crate::runner::{Observer, TaskResult};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

pub struct Progress {
    multi: MultiProgress,
    overall: Option<ProgressBar>,
    bars: Mutex<HashMap<crate::domain::ids::AccountId, ProgressBar>>,
    enabled: bool,
    quiet: bool,
}

impl Progress {
    /// Bars are drawn only when standard error is a terminal and not quiet.
    pub fn new(quiet: bool) -> Progress {
        let enabled = !quiet && std::io::stderr().is_terminal();
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
            overall: None,
            bars: Mutex::default(),
            enabled,
            quiet,
        }
    }

    /// Adds an overall bar when several accounts are worked on.
    pub fn with_overall(mut self, accounts: usize) -> Progress {
        if accounts > 1 {
            let bar = self.multi.add(ProgressBar::new(accounts as u64));
            bar.set_style(
                ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} accounts")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix("overall");
            self.overall = Some(bar);
        }
        self
    }

    /// A bar for one account's tasks.
    fn start_account(&self, account: &Account, tasks: usize) {
        if !self.enabled || tasks == 0 {
            return;
        }
        let bar = self.multi.add(ProgressBar::new(tasks as u64));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>12} {spinner} [{bar:20}] {pos}/{len} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(truncate(&account.name, 12));
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(account.id, bar);
        }
    }

    /// Marks one account done.
    fn finish_account(&self, account: &Account) {
        if let Some(bar) = self
            .bars
            .lock()
            .ok()
            .and_then(|mut b| b.remove(&account.id))
        {
            bar.finish_and_clear();
        }
        if let Some(o) = &self.overall {
            o.inc(1);
        }
    }

    pub fn finish(&self) {
        if let Some(o) = &self.overall {
            o.finish_and_clear();
        }
        let _ = self.multi.clear();
    }

    /// Prints to standard output without tearing the bars. A closed
    /// standard output is not an error here: the result's own output will
    /// meet it and end the command quietly.
    pub fn println(&self, line: &str) {
        use std::io::Write;
        self.multi.suspend(|| {
            let _ = writeln!(
                std::io::stdout().lock(),
                "{}",
                crate::render::for_terminal(line, true)
            );
        });
    }

    fn with_bar(&self, account: &Account, f: impl FnOnce(&ProgressBar)) {
        if let Some(bar) = self
            .bars
            .lock()
            .ok()
            .and_then(|b| b.get(&account.id).cloned())
        {
            f(&bar);
        }
    }
}

impl crate::ops::run::Progress for Progress {
    fn account_started(&self, account: &Account, tasks: usize) {
        self.start_account(account, tasks);
    }

    fn account_finished(&self, account: &Account) {
        self.finish_account(account);
    }
}

impl Observer for Progress {
    fn task_started(&self, account: &Account, kind: TaskKind) {
        self.with_bar(account, |b| b.set_message(kind.display_name()));
    }

    fn task_finished(&self, account: &Account, result: &TaskResult) {
        self.with_bar(account, |b| {
            b.set_message(format!("{} {}", result.name, result.status));
            b.inc(1);
        });
    }

    /// A warning goes to standard error, terminal or not (it is not
    /// progress: a script's log should keep it), unless `-q`.
    fn warn(&self, text: &str) {
        if self.quiet {
            return;
        }
        self.multi.suspend(|| {
            eprintln!("warning: {}", crate::render::for_terminal(text, true));
        });
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}
