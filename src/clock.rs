//! The one place "now" comes from: `NFA_NOW` (RFC 3339) when set, else the
//! system clock.

use crate::domain::time::parse_time;
use anyhow::{Result, anyhow};
use chrono::{DateTime, SubsecRound, Utc};

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
    /// `NFA_TEST_CLOCK_SKEW` (seconds): for tests only, a host whose
    /// clock is off. Nothing that several hosts compare (heartbeats) is
    /// read from this clock: those are the database's.
    skew: chrono::TimeDelta,
}

impl Clock {
    /// Reads `NFA_NOW`. A malformed value is an error, never ignored; an
    /// empty one counts as unset.
    pub fn from_env() -> Result<Clock> {
        let skew = match std::env::var("NFA_TEST_CLOCK_SKEW") {
            Ok(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(chrono::TimeDelta::try_seconds)
                .ok_or_else(|| anyhow!("NFA_TEST_CLOCK_SKEW: '{v}' is not a number of seconds"))?,
            Err(_) => chrono::TimeDelta::zero(),
        };
        match std::env::var("NFA_NOW") {
            Ok(v) if !v.trim().is_empty() => {
                let t = parse_time(&v).map_err(|e| anyhow!("NFA_NOW: {e}"))?;
                Ok(Clock::fixed(t))
            }
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(Clock { fixed: None, skew }),
            Err(std::env::VarError::NotUnicode(_)) => Err(anyhow!("NFA_NOW is not valid UTF-8")),
        }
    }

    pub fn fixed(t: DateTime<Utc>) -> Clock {
        Clock {
            fixed: Some(t.trunc_subsecs(3)),
            skew: chrono::TimeDelta::zero(),
        }
    }

    /// Now, to the millisecond (the precision the database keeps).
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed
            .unwrap_or_else(|| (Utc::now() + self.skew).trunc_subsecs(3))
    }
}
