//! Who runs a task: the identity of this process, and whether the process
//! that took a task on still runs.

use crate::domain::owner::{Owner, Probe, judge};
use std::sync::OnceLock;

impl Owner {
    /// This process.
    pub fn current() -> &'static Owner {
        static CURRENT: OnceLock<Owner> = OnceLock::new();
        CURRENT.get_or_init(|| {
            let pid = std::process::id();
            Owner {
                host: host_name(),
                pid,
                token: match probe(pid) {
                    Probe::Runs(token) => token,
                    Probe::Gone | Probe::Unknown => String::new(),
                },
            }
        })
    }

    /// Whether this owner still runs. A process on this host is looked up
    /// (pid and start time where the system tells them); one on another
    /// host, or one this host cannot look up, is alive while its heartbeat
    /// (`seen_at`, by the database's clock, as `now` is) is at most
    /// `timeout` old.
    pub fn is_alive(&self, seen_at: Option<i64>, now: i64, timeout: std::time::Duration) -> bool {
        let me = Owner::current();
        let probe = if self.host == me.host {
            probe(self.pid)
        } else {
            Probe::Unknown
        };
        let timeout = i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX);
        judge(self, me, probe, seen_at, now, timeout)
    }
}

/// The operating-system login name of this process: who did it, on
/// SQLite (on PostgreSQL the server records its session user). The user
/// database's name of the effective uid; `USER`/`LOGNAME` (`USERNAME` on
/// Windows) where it has none (a container's bare uid). For the test
/// suite only, `NFA_TEST_LOGIN` stands in for it (snapshots that do not
/// depend on who runs them); on PostgreSQL it changes nothing.
pub fn login_name() -> &'static str {
    static LOGIN: OnceLock<String> = OnceLock::new();
    LOGIN.get_or_init(|| {
        std::env::var("NFA_TEST_LOGIN")
            .ok()
            .filter(|n| !n.trim().is_empty())
            .or_else(passwd_name)
            .or_else(|| {
                ["USER", "LOGNAME", "USERNAME"]
                    .iter()
                    .find_map(|v| std::env::var(v).ok().filter(|n| !n.trim().is_empty()))
            })
            .unwrap_or_else(|| "unknown".to_string())
    })
}

#[cfg(unix)]
#[allow(unsafe_code)] // getpwuid_r(3): the login name of a uid, as id(1) finds it
fn passwd_name() -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: getpwuid_r writes at most `buf.len()` bytes into `buf` and a
    // passwd whose strings point into it; `found` is null unless it did.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::geteuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut found,
        );
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        let name = std::ffi::CStr::from_ptr(pwd.pw_name).to_string_lossy();
        (!name.is_empty()).then(|| name.into_owned())
    }
}

#[cfg(not(unix))]
fn passwd_name() -> Option<String> {
    None
}

/// Seconds since the Unix epoch by this host's clock (tests of liveness).
#[cfg(test)]
fn wall_clock_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The name of this host in the database: `NFA_HOST` when set (hosts
/// that share a database must have distinct names, which containers
/// often do not), else the system's host name.
fn host_name() -> String {
    match std::env::var("NFA_HOST") {
        Ok(h) if !h.trim().is_empty() => h.trim().to_string(),
        _ => gethostname::gethostname().to_string_lossy().into_owned(),
    }
}

/// What this host tells of a pid: on Linux its token (`BOOT_ID:START_TICKS`)
/// or that it is gone; on other Unix systems only whether it is gone (a pid
/// that exists may have been reused, so the heartbeat decides); elsewhere
/// nothing.
#[cfg(target_os = "linux")]
fn probe(pid: u32) -> Probe {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Probe::Gone;
    };
    // The command name (field 2) may hold spaces and parentheses: fields
    // after the last ')' are fixed; start time is field 22 overall.
    let start = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().nth(19));
    match start {
        Some(start) => {
            let boot =
                std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
            Probe::Runs(format!("{}:{start}", boot.trim()))
        }
        None => Probe::Unknown,
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
#[allow(unsafe_code)] // kill(2) with signal 0, the one portable existence check
fn probe(pid: u32) -> Probe {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return Probe::Unknown;
    };
    // Signal 0 checks that the process exists without touching it.
    // SAFETY: kill with signal 0 sends nothing.
    let r = unsafe { libc::kill(pid, 0) };
    if r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH) {
        Probe::Gone
    } else {
        Probe::Unknown
    }
}

#[cfg(not(unix))]
fn probe(_pid: u32) -> Probe {
    Probe::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE_AND_A_HALF: std::time::Duration = std::time::Duration::from_secs(90);

    #[test]
    fn this_process_is_alive_and_a_dead_one_is_not() {
        let me = Owner::current().clone();
        assert!(me.is_alive(None, wall_clock_secs(), MINUTE_AND_A_HALF));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let dead = Owner {
            pid,
            token: "x".into(),
            ..me.clone()
        };
        assert!(
            !dead.is_alive(
                Some(wall_clock_secs() - 120),
                wall_clock_secs(),
                MINUTE_AND_A_HALF
            ),
            "a dead local process, silent"
        );
        #[cfg(target_os = "linux")]
        assert!(
            !dead.is_alive(
                Some(wall_clock_secs()),
                wall_clock_secs(),
                MINUTE_AND_A_HALF
            ),
            "a heartbeat does not revive a dead local process"
        );
        let remote = Owner {
            host: "elsewhere".into(),
            ..dead
        };
        assert!(remote.is_alive(
            Some(wall_clock_secs() - 10),
            wall_clock_secs(),
            MINUTE_AND_A_HALF
        ));
        assert!(!remote.is_alive(
            Some(wall_clock_secs() - 91),
            wall_clock_secs(),
            MINUTE_AND_A_HALF
        ));
    }
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records that Ctrl-C (or SIGTERM) reached this process, for waits that
/// cannot hold a [`Cancel`] (the database's lock wait).
pub fn mark_interrupted() {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether Ctrl-C (or SIGTERM) reached this process.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// A flag that Ctrl-C (and SIGTERM) raise instead of killing the process,
/// so that a run can end its tasks cleanly.
pub fn interrupt_flag() -> anyhow::Result<Cancel> {
    static FLAG: OnceLock<Cancel> = OnceLock::new();
    if let Some(c) = FLAG.get() {
        return Ok(c.clone());
    }
    let cancel = Cancel::new();
    let c = cancel.clone();
    ctrlc::set_handler(move || {
        c.cancel();
        mark_interrupted();
    })
    .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))?;
    Ok(FLAG.get_or_init(|| cancel).clone())
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

/// The signals a long-running service stops on, told apart: SIGTERM (a
/// service manager: exit 0) and SIGINT (Ctrl-C: exit 130). Raised flags,
/// not a handler that does the work: the service polls them.
#[derive(Debug, Clone)]
pub struct StopSignals {
    term: std::sync::Arc<std::sync::atomic::AtomicBool>,
    int: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Which signal asked a service to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    Term,
    Int,
}

impl StopSignals {
    /// Catches SIGTERM and SIGINT for this process (instead of
    /// [`interrupt_flag`]'s handler, which does not tell them apart).
    pub fn catch() -> anyhow::Result<StopSignals> {
        let s = StopSignals {
            term: Default::default(),
            int: Default::default(),
        };
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGINT, SIGTERM};
            signal_hook::flag::register(SIGTERM, s.term.clone())
                .and_then(|_| signal_hook::flag::register(SIGINT, s.int.clone()))
                .map_err(|e| anyhow::anyhow!("cannot catch SIGTERM and SIGINT: {e}"))?;
        }
        Ok(s)
    }

    /// The first signal that came, if one did (Ctrl-C first when both).
    pub fn came(&self) -> Option<StopSignal> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.int.load(SeqCst) {
            Some(StopSignal::Int)
        } else if self.term.load(SeqCst) {
            Some(StopSignal::Term)
        } else {
            None
        }
    }
}

/// A number that differs between processes and calls: for jitter and for
/// spreading engineers' runs apart, not for secrecy.
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}
