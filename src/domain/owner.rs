//! Who runs a task, and the rule that tells a live run from an abandoned
//! one. Pure: what the system says of a process comes in as a [`Probe`]
//! (`crate::process` asks the system).

/// The owner of a run: host, pid and a token that tells this process from a
/// later one with the same pid (boot id and process start time on Linux).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub host: String,
    pub pid: u32,
    pub token: String,
}

/// What this host can tell of a process by its pid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// It runs, with this token (boot id and start time).
    Runs(String),
    /// No process has that pid.
    Gone,
    /// The system cannot tell (another host, or no way to look it up).
    Unknown,
}

/// The liveness rule, free of the system: `owner` is the process that took
/// a task on, `me` this process, `probe` what the host says of the owner's
/// pid, `seen_at` its last heartbeat and `now` the wall clock (seconds),
/// `timeout` how long a silent owner is still taken to run (seconds).
pub fn judge(
    owner: &Owner,
    me: &Owner,
    probe: Probe,
    seen_at: Option<i64>,
    now: i64,
    timeout: i64,
) -> bool {
    if owner == me {
        return true;
    }
    match probe {
        Probe::Runs(token) => owner.host == me.host && token == owner.token,
        Probe::Gone => owner.host != me.host && heard_from(seen_at, now, timeout),
        Probe::Unknown => heard_from(seen_at, now, timeout),
    }
}

fn heard_from(seen_at: Option<i64>, now: i64, timeout: i64) -> bool {
    seen_at.is_some_and(|s| now - s <= timeout)
}

/// How often a running process marks its tasks as seen: every 15 s, or
/// three times within a shorter `heartbeat-timeout` (setting), so that a
/// live run never looks silent.
pub fn heartbeat_every(timeout: std::time::Duration) -> std::time::Duration {
    (timeout / 3).clamp(
        std::time::Duration::from_millis(100),
        std::time::Duration::from_secs(15),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(host: &str, pid: u32, token: &str) -> Owner {
        Owner {
            host: host.into(),
            pid,
            token: token.into(),
        }
    }

    #[test]
    fn the_liveness_rule_holds_whatever_the_system_can_tell() {
        let me = owner("h", 1, "b:1");
        let now = 1_000_000;
        let recent = Some(now - 10);
        let silent = Some(now - 91);
        assert!(
            judge(&me, &me, Probe::Unknown, None, now, 90),
            "this process"
        );
        let other = owner("h", 2, "b:7");
        // Linux: the token decides, a heartbeat never revives a dead one.
        assert!(judge(&other, &me, Probe::Runs("b:7".into()), None, now, 90));
        assert!(
            !judge(&other, &me, Probe::Runs("b:8".into()), recent, now, 90),
            "pid reused"
        );
        assert!(!judge(&other, &me, Probe::Gone, recent, now, 90), "gone");
        // A system that cannot tell (pid exists, or no lookup): the
        // heartbeat decides, so a killed run does not block for ever.
        assert!(judge(&other, &me, Probe::Unknown, recent, now, 90));
        assert!(!judge(&other, &me, Probe::Unknown, silent, now, 90));
        assert!(!judge(&other, &me, Probe::Unknown, None, now, 90));
        // Another host: only the heartbeat.
        let remote = owner("elsewhere", 2, "b:7");
        assert!(judge(&remote, &me, Probe::Unknown, recent, now, 90));
        assert!(!judge(&remote, &me, Probe::Unknown, silent, now, 90));
        // The limit is the setting's.
        assert!(judge(&remote, &me, Probe::Unknown, Some(now - 2), now, 3));
        assert!(!judge(&remote, &me, Probe::Unknown, Some(now - 4), now, 3));
    }

    #[test]
    fn a_live_run_beats_at_least_three_times_within_the_limit() {
        use std::time::Duration;
        let s = Duration::from_secs;
        assert_eq!(heartbeat_every(s(90)), s(15));
        assert_eq!(heartbeat_every(s(3)), s(1));
        assert_eq!(heartbeat_every(s(0)), Duration::from_millis(100));
    }
}
