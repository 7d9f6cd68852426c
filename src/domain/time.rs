//! Durations (`90s`, `45m`, `6h`, `30d` or plain seconds) and points in time
//! (RFC 3339), as users write them.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use std::fmt;

/// The longest span accepted anywhere: 100 years.
const MAX_SECONDS: u64 = 100 * 365 * 86_400;

/// A non-negative length of time, whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(u64);

impl Span {
    pub const fn from_secs(secs: u64) -> Span {
        Span(secs)
    }

    pub const fn from_hours(hours: u64) -> Span {
        Span(hours * 3600)
    }

    pub const fn from_days(days: u64) -> Span {
        Span(days * 86_400)
    }

    pub fn as_secs(self) -> u64 {
        self.0
    }

    pub fn to_delta(self) -> TimeDelta {
        // MAX_SECONDS keeps every span far inside TimeDelta's range.
        TimeDelta::seconds(i64::try_from(self.0).unwrap_or(i64::MAX))
    }
}

impl fmt::Display for Span {
    /// The largest unit that writes the span exactly: `6h`, `90s`, `30d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s != 0 && s.is_multiple_of(86_400) {
            write!(f, "{}d", s / 86_400)
        } else if s != 0 && s.is_multiple_of(3600) {
            write!(f, "{}h", s / 3600)
        } else if s != 0 && s.is_multiple_of(60) {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

/// A duration or a time that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("invalid duration '{0}' (expected e.g. 90s, 45m, 6h, 2h30m, 30d, 1w, or seconds)")]
    InvalidDuration(String),
    #[error("duration '{0}' is too long (at most 36500d)")]
    TooLong(String),
    #[error("invalid time '{text}' ({reason}; expected RFC 3339, e.g. 2026-11-30T08:00:00Z)")]
    InvalidTime { text: String, reason: String },
    #[error(
        "invalid time '{0}' (expected a duration such as 6h or 30d, a date such as 2026-11-30, or an RFC 3339 time)"
    )]
    InvalidSince(String),
}

/// Parses `90s`, `45m`, `6h`, `30d`, or a plain number of seconds.
pub fn parse_span(text: &str) -> Result<Span, TimeError> {
    let t = text.trim();
    let bad = || TimeError::InvalidDuration(text.to_string());
    let too_long = || TimeError::TooLong(text.to_string());
    // A plain number is seconds.
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let n: u64 = t.parse().map_err(|_| too_long())?;
        return if n <= MAX_SECONDS {
            Ok(Span(n))
        } else {
            Err(too_long())
        };
    }
    if t.is_empty() {
        return Err(bad());
    }
    // Else one or more number-unit parts, largest unit first: `2h30m`, `1w`.
    let mut rest = t;
    let mut total: u64 = 0;
    let mut last_unit = u64::MAX;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| too_long())?;
        let unit_char = rest[digits..].chars().next().ok_or_else(bad)?;
        let mult = match unit_char {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        // Each unit once, largest first (`30m2h` is a slip, not a span).
        if mult >= last_unit {
            return Err(bad());
        }
        last_unit = mult;
        total = n
            .checked_mul(mult)
            .and_then(|part| total.checked_add(part))
            .ok_or_else(too_long)?;
        rest = &rest[digits + unit_char.len_utf8()..];
    }
    if total > MAX_SECONDS {
        return Err(too_long());
    }
    Ok(Span(total))
}

/// Parses an RFC 3339 time (any offset) into UTC.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, TimeError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| TimeError::InvalidTime {
            text: text.to_string(),
            reason: e.to_string(),
        })
}

/// A `--since` value: a duration before "now", or an RFC 3339 time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Ago(Span),
    At(DateTime<Utc>),
}

impl Since {
    pub fn parse(text: &str) -> Result<Since, TimeError> {
        match parse_span(text) {
            Ok(span) => return Ok(Since::Ago(span)),
            // A well-formed duration that is too long says so.
            Err(e @ TimeError::TooLong(_)) => return Err(e),
            Err(_) => {}
        }
        // A date alone: that day from midnight, UTC.
        if let Ok(day) = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            return Ok(Since::At(day.and_time(chrono::NaiveTime::MIN).and_utc()));
        }
        parse_time(text)
            .map(Since::At)
            .map_err(|_| TimeError::InvalidSince(text.to_string()))
    }

    /// The point in time it means at `now`.
    pub fn resolve(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Since::Ago(span) => now - span.to_delta(),
            Since::At(t) => t,
        }
    }
}

/// How times are written in every output: RFC 3339, UTC, `Z`, no needless
/// fraction.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Whether `then` lies strictly more than `span` before `now`.
pub fn older_than(then: DateTime<Utc>, now: DateTime<Utc>, span: Span) -> bool {
    now - then > span.to_delta()
}

/// Serde helpers: times as RFC 3339 UTC strings.
pub mod ser {
    use super::format_time;
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_time(*t))
    }

    pub fn opt_time<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_time(*t)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    #[test]
    fn spans_parse_in_every_unit() {
        assert_eq!(parse_span("90s"), Ok(Span(90)));
        assert_eq!(parse_span("45m"), Ok(Span(2700)));
        assert_eq!(parse_span("6h"), Ok(Span(21_600)));
        assert_eq!(parse_span("30d"), Ok(Span(2_592_000)));
        assert_eq!(parse_span("3600"), Ok(Span(3600)));
        assert_eq!(parse_span("0"), Ok(Span(0)));
        assert_eq!(parse_span("1w"), Ok(Span(604_800)));
        assert_eq!(parse_span("2h30m"), Ok(Span(9000)));
        assert_eq!(parse_span("1d12h"), Ok(Span(129_600)));
        assert_eq!(parse_span("1h0m5s"), Ok(Span(3605)));
    }

    #[test]
    fn huge_spans_say_too_long_not_invalid() {
        for t in ["36501d", "99999999999999999999d", "18446744073709551616"] {
            assert_eq!(parse_span(t), Err(TimeError::TooLong(t.into())), "{t}");
            assert_eq!(Since::parse(t), Err(TimeError::TooLong(t.into())), "{t}");
        }
        assert!(Since::parse("36500d").is_ok());
        assert!(matches!(
            Since::parse("yesterday"),
            Err(TimeError::InvalidSince(_))
        ));
    }

    #[test]
    fn bad_spans_are_refused() {
        for bad in [
            "",
            "h",
            "6x",
            "-5m",
            "1.5h",
            "6 h",
            "6hh",
            "99999999999999999999",
            "36501d",
            "30m2h",
            "2h2h",
            "2h30",
            "5300w",
        ] {
            assert!(parse_span(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse_span("36500d").is_ok());
    }

    #[test]
    fn spans_print_in_their_largest_exact_unit() {
        assert_eq!(Span(21_600).to_string(), "6h");
        assert_eq!(Span(90).to_string(), "90s");
        assert_eq!(Span(5400).to_string(), "90m");
        assert_eq!(Span(86_400 * 7).to_string(), "7d");
        assert_eq!(Span(0).to_string(), "0s");
    }

    #[test]
    fn since_takes_a_duration_or_a_time() {
        let now = t("2026-11-30T08:00:00Z");
        let since = |s: &str| Since::parse(s).map(|w| w.resolve(now));
        assert_eq!(since("6h"), Ok(t("2026-11-30T02:00:00Z")));
        assert_eq!(
            since("2026-11-01T00:00:00+01:00"),
            Ok(t("2026-10-31T23:00:00Z"))
        );
        assert!(since("yesterday").is_err());
        assert_eq!(since("2026-11-30"), Ok(t("2026-11-30T00:00:00Z")));
        assert_eq!(since("1w"), Ok(t("2026-11-23T08:00:00Z")));
        assert!(since("2026-13-01").is_err());
    }

    #[test]
    fn older_than_is_strict() {
        let now = t("2026-11-30T08:00:00Z");
        let six = Span::from_hours(6);
        assert!(!older_than(t("2026-11-30T02:00:00Z"), now, six));
        assert!(older_than(t("2026-11-30T01:59:59Z"), now, six));
        assert!(
            !older_than(t("2026-11-30T09:00:00Z"), now, six),
            "future times are not old"
        );
    }

    #[test]
    fn times_print_as_utc_rfc3339() {
        assert_eq!(
            format_time(t("2026-11-30T09:00:00+01:00")),
            "2026-11-30T08:00:00Z"
        );
        assert_eq!(
            format_time(t("2026-11-30T08:00:00.250Z")),
            "2026-11-30T08:00:00.250Z"
        );
    }
}
