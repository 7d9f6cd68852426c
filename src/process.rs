//! Who runs a task: the identity of this process, and whether the process
//! that took a task on still runs.

use std::sync::OnceLock;

/// The owner of a run: host, pid and a token that tells this process from a
/// later one with the same pid (boot id and process start time on Linux).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub host: String,
    pub pid: u32,
    pub token: String,
}

impl Owner {
    /// This process.
    pub fn current() -> &'static Owner {
        static CURRENT: OnceLock<Owner> = OnceLock::new();
        CURRENT.get_or_init(|| {
            let pid = std::process::id();
            Owner {
                host: host_name(),
                pid,
                token: process_token(pid).unwrap_or_default(),
            }
        })
    }

    /// Whether this owner still runs. A process on this host is looked up
    /// (pid and start time); one on another host is alive while its
    /// heartbeat (`seen_at`, wall-clock seconds) is recent.
    pub fn is_alive(&self, seen_at: Option<i64>) -> bool {
        let me = Owner::current();
        if self.host != me.host {
            return seen_at
                .is_some_and(|s| wall_clock_secs() - s <= HEARTBEAT_TIMEOUT.as_secs() as i64);
        }
        if self.pid == me.pid && self.token == me.token {
            return true;
        }
        match process_token(self.pid) {
            Some(token) => token == self.token,
            None => !cfg!(target_os = "linux"),
        }
    }
}

/// How often a running process marks its tasks as seen.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(15);
/// How long a process on another host may stay silent before its tasks
/// count as abandoned.
pub const HEARTBEAT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// Seconds since the Unix epoch by the system clock (never `NFA_NOW`: this
/// is about processes, not about the accounts' time).
pub fn wall_clock_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// `BOOT_ID:START_TICKS` of a running process, `None` if no such process
/// runs (Linux); elsewhere a constant, so liveness rests on the pid alone.
#[cfg(target_os = "linux")]
fn process_token(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields
    // after the last ')' are fixed; start time is field 22 overall.
    let rest = &stat[stat.rfind(')')? + 1..];
    let start = rest.split_whitespace().nth(19)?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    Some(format!("{}:{start}", boot.trim()))
}

#[cfg(not(target_os = "linux"))]
fn process_token(_pid: u32) -> Option<String> {
    Some(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_one_is_not() {
        let me = Owner::current().clone();
        assert!(me.is_alive(None));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let dead = Owner {
            pid,
            token: "x".into(),
            ..me.clone()
        };
        assert!(
            !dead.is_alive(Some(wall_clock_secs())),
            "a heartbeat does not revive a dead local process"
        );
        let reused = Owner {
            token: "other-boot:1".into(),
            ..me.clone()
        };
        assert!(
            !reused.is_alive(None),
            "same pid, different start: another process"
        );
        let remote = Owner {
            host: "elsewhere".into(),
            ..dead
        };
        assert!(
            remote.is_alive(Some(wall_clock_secs() - 10)),
            "heard from recently"
        );
        assert!(
            !remote.is_alive(Some(wall_clock_secs() - 91)),
            "silent too long"
        );
        assert!(!remote.is_alive(None));
    }
}

/// A shared flag raised by Ctrl-C (or SIGTERM) that long work polls.
#[derive(Debug, Clone, Default)]
pub struct Cancel(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Sleeps up to `dur`, waking early when cancelled; returns `false` if
    /// it was cancelled.
    pub fn sleep(&self, dur: std::time::Duration) -> bool {
        let end = std::time::Instant::now() + dur;
        loop {
            if self.is_cancelled() {
                return false;
            }
            let now = std::time::Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(std::time::Duration::from_millis(20)));
        }
    }
}
