//! The settings: their keys, defaults and the validation of their values.

use super::status::Thresholds;
use super::time::{Span, parse_span};

/// One settable key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
    kind: ValueKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Bool,
    Span,
}

pub const DISPLAY_AUTOMATED_TASKS: &str = "display-automated-tasks";
pub const REFRESH_WINDOW: &str = "refresh-window";
pub const STALE_AFTER: &str = "stale-after";
pub const INACTIVE_AFTER: &str = "inactive-after";
pub const DORMANT_AFTER: &str = "dormant-after";
pub const KEEP_HISTORY: &str = "keep-history";
pub const HEARTBEAT_TIMEOUT: &str = "heartbeat-timeout";
pub const AUDIT_EVERY: &str = "audit-every";
pub const SHUTDOWN_GRACE: &str = "shutdown-grace";

/// The keys and their defaults, as `settings set --help` lists them (a
/// test keeps it true to [`KEYS`]).
pub const KEYS_HELP: &str = "\
Keys (and their defaults):
  display-automated-tasks   false   show automated tasks in nfa tasks without --show-automated
  refresh-window            6h      how long an earlier refresh makes a new one unnecessary
  stale-after               24h     an AD cache older than this makes the account STALE
  inactive-after            7d      no management activity for longer makes it INACTIVE
  dormant-after             30d     no management activity for longer makes it DORMANT
  keep-history              0s      finished history older than this is pruned (0: kept)
  heartbeat-timeout         90s     a run on another host silent for longer is abandoned
  audit-every               0s      nfa worker audits each account this often (0: never)
  shutdown-grace            30s     how long a stopping worker lets its running tasks finish

Values: true/false, or a duration such as 90s, 45m, 6h, 2h30m, 30d, 1w.

Examples:
  nfa settings set refresh-window 2h30m
  nfa settings set keep-history 180d";

pub const KEYS: [Key; 9] = [
    Key {
        name: DISPLAY_AUTOMATED_TASKS,
        default: "false",
        help: "show automated tasks in `nfa tasks` without --show-automated",
        kind: ValueKind::Bool,
    },
    Key {
        name: REFRESH_WINDOW,
        default: "6h",
        help: "how long an earlier refresh makes a new one unnecessary",
        kind: ValueKind::Span,
    },
    Key {
        name: STALE_AFTER,
        default: "24h",
        help: "an AD cache older than this makes the account STALE",
        kind: ValueKind::Span,
    },
    Key {
        name: INACTIVE_AFTER,
        default: "7d",
        help: "no management activity for longer makes the account INACTIVE",
        kind: ValueKind::Span,
    },
    Key {
        name: DORMANT_AFTER,
        default: "30d",
        help: "no management activity for longer makes the account DORMANT",
        kind: ValueKind::Span,
    },
    Key {
        name: KEEP_HISTORY,
        default: "0s",
        help: "finished history older than this is pruned (nfa prune, audit --all); 0 keeps everything",
        kind: ValueKind::Span,
    },
    Key {
        name: HEARTBEAT_TIMEOUT,
        default: "90s",
        help: "a run on another host silent for longer is ended ERROR \"abandoned\" by the next refresh",
        kind: ValueKind::Span,
    },
    Key {
        name: AUDIT_EVERY,
        default: "0s",
        help: "`nfa worker` audits each account once this often, across all workers; 0 never",
        kind: ValueKind::Span,
    },
    Key {
        name: SHUTDOWN_GRACE,
        default: "30s",
        help: "how long a worker told to stop (SIGTERM, Ctrl-C) lets its running tasks finish",
        kind: ValueKind::Span,
    },
];

/// Finds a key by name (case-insensitive); the error lists the keys.
pub fn key(name: &str) -> Result<&'static Key, String> {
    KEYS.iter()
        .find(|k| k.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            let close = crate::domain::names::suggest(name, KEYS.iter().map(|k| k.name));
            match close.as_slice() {
                [] => {
                    let names: Vec<_> = KEYS.iter().map(|k| k.name).collect();
                    format!(
                        "unknown setting '{name}' (known settings: {})",
                        names.join(", ")
                    )
                }
                close => format!(
                    "unknown setting '{name}' (did you mean {}?)",
                    close.join(", ")
                ),
            }
        })
}

impl Key {
    /// Validates a value and returns it in canonical form (`true`/`false`,
    /// or a duration in its largest exact unit).
    pub fn normalize(&self, value: &str) -> Result<String, String> {
        match self.kind {
            ValueKind::Bool => parse_bool(value).map(|b| b.to_string()).ok_or_else(|| {
                format!(
                    "invalid value '{value}' for {} (expected true or false)",
                    self.name
                )
            }),
            ValueKind::Span => parse_span(value)
                .map(|s| s.to_string())
                .map_err(|e| format!("invalid value for {}: {e}", self.name)),
        }
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The settings in force, typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub display_automated_tasks: bool,
    pub refresh_window: Span,
    pub thresholds: Thresholds,
    /// How much finished history to keep; zero keeps everything.
    pub keep_history: Span,
    /// How long a run on another host may stay silent (no heartbeat)
    /// before its tasks count as abandoned.
    pub heartbeat_timeout: Span,
    /// How often `nfa worker` audits each account; zero never.
    pub audit_every: Span,
    /// How long a stopping worker lets its running tasks finish.
    pub shutdown_grace: Span,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            display_automated_tasks: false,
            refresh_window: Span::from_hours(6),
            thresholds: Thresholds::default(),
            keep_history: Span::from_secs(0),
            heartbeat_timeout: Span::from_secs(90),
            audit_every: Span::from_secs(0),
            shutdown_grace: Span::from_secs(30),
        }
    }
}

impl Settings {
    /// Builds the settings from stored `(key, value)` pairs over the
    /// defaults. A stored value that does not validate is an error naming
    /// its key, never a silent default.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Settings, String> {
        let mut s = Settings::default();
        for (name, value) in pairs {
            let k = key(name).map_err(|e| format!("stored setting: {e}"))?;
            let v = k
                .normalize(value)
                .map_err(|e| format!("stored setting: {e}"))?;
            let span = || parse_span(&v).expect("normalized");
            match k.name {
                DISPLAY_AUTOMATED_TASKS => s.display_automated_tasks = v == "true",
                REFRESH_WINDOW => s.refresh_window = span(),
                STALE_AFTER => s.thresholds.stale_after = span(),
                INACTIVE_AFTER => s.thresholds.inactive_after = span(),
                DORMANT_AFTER => s.thresholds.dormant_after = span(),
                KEEP_HISTORY => s.keep_history = span(),
                HEARTBEAT_TIMEOUT => s.heartbeat_timeout = span(),
                AUDIT_EVERY => s.audit_every = span(),
                SHUTDOWN_GRACE => s.shutdown_grace = span(),
                _ => unreachable!("every key is matched"),
            }
        }
        Ok(s)
    }
}

/// The point before which finished history is pruned: `older_than` when
/// given, else the `keep-history` setting; `None` when that keeps
/// everything (zero).
pub fn prune_cutoff(
    now: chrono::DateTime<chrono::Utc>,
    older_than: Option<Span>,
    keep_history: Span,
) -> Option<chrono::DateTime<chrono::Utc>> {
    match older_than {
        Some(span) => Some(now - span.to_delta()),
        None if keep_history.as_secs() == 0 => None,
        None => Some(now - keep_history.to_delta()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prune_cutoff_comes_from_the_flag_else_the_setting() {
        let now = crate::domain::time::parse_time("2026-11-30T08:00:00Z").unwrap();
        let day = Span::from_days(1);
        assert_eq!(
            prune_cutoff(now, None, Span::from_secs(0)),
            None,
            "0 keeps all"
        );
        assert_eq!(prune_cutoff(now, None, day), Some(now - day.to_delta()));
        assert_eq!(
            prune_cutoff(now, Some(Span::from_secs(0)), day),
            Some(now),
            "--older-than 0: everything finished"
        );
    }

    #[test]
    fn defaults_match_the_key_table() {
        let from_table = Settings::from_pairs(KEYS.iter().map(|k| (k.name, k.default))).unwrap();
        assert_eq!(from_table, Settings::default());
    }

    #[test]
    fn values_are_validated_and_normalized() {
        let window = key("refresh-window").unwrap();
        assert_eq!(window.normalize("21600"), Ok("6h".to_string()));
        assert!(window.normalize("soon").is_err());
        let display = key("Display-Automated-Tasks").unwrap();
        assert_eq!(display.normalize("YES"), Ok("true".to_string()));
        assert!(display.normalize("maybe").is_err());
        assert!(key("colour").unwrap_err().contains("refresh-window"));
    }

    #[test]
    fn stored_pairs_override_defaults_and_bad_ones_are_errors() {
        let s = Settings::from_pairs([("stale-after", "1h"), ("display-automated-tasks", "true")])
            .unwrap();
        assert_eq!(s.thresholds.stale_after, Span::from_hours(1));
        assert!(s.display_automated_tasks);
        assert!(
            Settings::from_pairs([("stale-after", "often")])
                .unwrap_err()
                .contains("stale-after")
        );
    }

    #[test]
    fn the_keys_help_lists_every_key_with_its_default() {
        for k in KEYS {
            let line = KEYS_HELP
                .lines()
                .find(|l| l.split_whitespace().next() == Some(k.name))
                .unwrap_or_else(|| panic!("{} is not in KEYS_HELP", k.name));
            assert_eq!(line.split_whitespace().nth(1), Some(k.default), "{line}");
        }
    }
}
