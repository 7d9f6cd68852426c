//! The levels of the system log.

use super::word::Word;

/// A log level, most severe first; `warning` is accepted for WARN.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "UPPERCASE")]
#[strum(serialize_all = "UPPERCASE", ascii_case_insensitive)]
pub enum Level {
    Error,
    #[strum(to_string = "WARN", serialize = "warning")]
    Warn,
    Info,
}

impl Word for Level {
    const WHAT: &'static str = "log level";
}
