//! A new account as a user describes it (`accounts add`, `accounts import`),
//! validated field by field.

use super::status::Lifecycle;
use super::time::parse_time;
use chrono::{DateTime, Utc};

/// A validated account, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub name: String,
    /// The source in canonical form (see [`crate::source::SourceSpec`]).
    pub source: String,
    pub tenant_id: Option<String>,
    pub lifecycle: Lifecycle,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub ad_cache_updated_at: Option<DateTime<Utc>>,
}

/// A field that failed validation, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// The fields an import row may carry.
pub const IMPORT_FIELDS: [&str; 6] = [
    "name",
    "source",
    "tenant_id",
    "lifecycle",
    "last_activity_at",
    "ad_cache_updated_at",
];

/// Checks an account name: not empty, no surrounding blanks, not all digits
/// (it would read as an account id), no control characters.
pub fn validate_name(name: &str) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("the name is empty".into());
    }
    if n.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "the name '{n}' is all digits, which would read as an account id"
        ));
    }
    if n.chars().any(char::is_control) {
        return Err(format!("the name {n:?} contains a control character"));
    }
    Ok(n.to_string())
}

/// An optional text field: blank means absent.
pub fn optional(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Parses an optional RFC 3339 time field.
pub fn optional_time(
    field: &str,
    value: Option<&str>,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    optional(value)
        .map(parse_time)
        .transpose()
        .map_err(|e| FieldError::new(field, e))
}

/// Parses an optional lifecycle field (default `ready`).
pub fn optional_lifecycle(value: Option<&str>) -> Result<Lifecycle, FieldError> {
    optional(value)
        .map(Lifecycle::parse)
        .transpose()
        .map(|l| l.unwrap_or(Lifecycle::Ready))
        .map_err(|e| FieldError::new("lifecycle", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(
            validate_name("  Contoso, Ltd. "),
            Ok("Contoso, Ltd.".to_string())
        );
        assert!(validate_name("   ").is_err());
        assert!(validate_name("1234").is_err());
        assert!(validate_name("a\tb").is_err());
        assert!(validate_name("4th coffee").is_ok());
    }

    #[test]
    fn optional_fields_treat_blank_as_absent() {
        assert_eq!(optional_time("last_activity_at", Some(" ")), Ok(None));
        assert!(optional_time("last_activity_at", Some("yesterday")).is_err());
        assert_eq!(optional_lifecycle(None), Ok(Lifecycle::Ready));
        assert_eq!(optional_lifecycle(Some("")), Ok(Lifecycle::Ready));
        assert_eq!(
            optional_lifecycle(Some("nope")).unwrap_err().field,
            "lifecycle"
        );
    }
}
