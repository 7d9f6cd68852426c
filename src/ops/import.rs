//! Reading `accounts import` files: CSV with a header row, or a JSON array
//! of objects, told apart by their first character. Every row is validated
//! before anything is written; the error names the row and the field.

use crate::domain::account::{
    AppCredential, CredentialFields, FieldError, IMPORT_FIELDS, NewAccount, SecretRef, check_text,
    optional, optional_lifecycle, optional_time, validate_name,
};
use crate::domain::tenant::SourceSpec;
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::Path;

/// The largest import file read (tens of thousands of accounts).
pub const MAX_IMPORT_BYTES: u64 = 64 << 20;

/// One row as read: field → value (absent or blank = not given).
type Record = BTreeMap<String, Option<String>>;

/// The rows of an import file, validated. `cwd` resolves relative fixture
/// paths; accounts without `last_activity_at` get `now` (being added is
/// management activity).
pub fn parse(text: &str, cwd: &Path, now: DateTime<Utc>) -> Result<Vec<NewAccount>> {
    // A byte-order mark is not content (spreadsheets and editors add one).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = match text.trim_start().chars().next() {
        None => vec![],
        Some('[') | Some('{') => json_records(text)?,
        Some(_) => csv_records(text)?,
    };
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            to_account(r, cwd, now)
                .map_err(|e| anyhow!("{}field {}: {}", row_label(i), e.field, e.message))
        })
        .collect()
}

/// How errors name the i-th (0-based) row.
pub fn row_label(i: usize) -> String {
    format!("row {}: ", i + 1)
}

/// Builds an account from its fields (`get(field)` gives a value, blank or
/// absent meaning not given), as both `accounts import` and `accounts add`
/// describe one.
pub fn account_from_fields<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
    cwd: &Path,
    now: DateTime<Utc>,
) -> Result<NewAccount, FieldError> {
    for field in IMPORT_FIELDS {
        if let Some(value) = get(field) {
            check_text(field, value)?;
        }
    }
    let name = optional(get("name")).ok_or_else(|| FieldError::new("name", "is required"))?;
    let name = validate_name(name).map_err(|e| FieldError::new("name", e))?;
    let source = optional(get("source")).ok_or_else(|| FieldError::new("source", "is required"))?;
    let spec = SourceSpec::parse(source, cwd).map_err(|e| FieldError::new("source", e))?;
    let fields = CredentialFields {
        client_id: get("client_id"),
        client_secret_env: get("client_secret_env"),
        client_secret_file: get("client_secret_file"),
        certificate_file: get("certificate_file"),
        certificate_key_file: get("certificate_key_file"),
        subscription_id: get("subscription_id"),
    };
    let credentials = fields.validate(spec.is_live(), cwd)?;
    if let Some(c) = &credentials {
        check_credential(&c.credential)?;
    }
    Ok(NewAccount {
        name,
        source: spec.canonical(),
        tenant_id: optional(get("tenant_id")).map(str::to_string),
        lifecycle: optional_lifecycle(get("lifecycle"))?,
        last_activity_at: optional_time("last_activity_at", get("last_activity_at"))?.or(Some(now)),
        ad_cache_updated_at: optional_time("ad_cache_updated_at", get("ad_cache_updated_at"))?,
        credentials,
    })
}

/// Checks a credential's files now, so that a wrong one is refused when it
/// is given rather than at the first sign-in: a secret file private to its
/// owner; a certificate that can be read, is in force, and whose private
/// key (private to its owner, not password-protected) is its key.
pub fn check_credential(c: &AppCredential) -> Result<(), FieldError> {
    match c {
        AppCredential::Secret(SecretRef::File(path)) => {
            crate::secret::check_file(path).map_err(|e| FieldError::new("client_secret_file", e))
        }
        AppCredential::Secret(SecretRef::Env(_)) => Ok(()),
        AppCredential::Certificate { cert, key } => {
            use crate::source::graph::assertion::CertError;
            crate::source::check_certificate(cert, key.as_deref()).map_err(|e| match e {
                CertError::Certificate(m) => FieldError::new("certificate_file", m),
                CertError::Key(m) => FieldError::new("certificate_key_file", m),
            })
        }
    }
}

fn to_account(r: &Record, cwd: &Path, now: DateTime<Utc>) -> Result<NewAccount, FieldError> {
    account_from_fields(|k| r.get(k).and_then(|v| v.as_deref()), cwd, now)
}

fn check_field(name: &str, where_: &str) -> Result<()> {
    if !IMPORT_FIELDS.contains(&name) {
        bail!(
            "{where_}unknown field '{name}' (expected: {})",
            IMPORT_FIELDS.join(", ")
        );
    }
    Ok(())
}

fn csv_records(text: &str) -> Result<Vec<Record>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| anyhow!("CSV header: {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for (i, h) in headers.iter().enumerate() {
        check_field(h, "CSV header: ")?;
        if headers[..i].contains(h) {
            bail!("CSV header: the column '{h}' appears twice; keep one");
        }
    }
    for required in ["name", "source"] {
        if !headers.iter().any(|h| h == required) {
            bail!("CSV header: the required column '{required}' is missing");
        }
    }
    let mut out = vec![];
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| anyhow!("{}{e}", row_label(i)))?;
        out.push(
            headers
                .iter()
                .cloned()
                .zip(rec.iter().map(|v| Some(v.to_string())))
                .collect(),
        );
    }
    Ok(out)
}

fn json_records(text: &str) -> Result<Vec<Record>> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| anyhow!("malformed JSON: {e}"))?;
    let serde_json::Value::Array(items) = value else {
        bail!("JSON import must be an array of objects");
    };
    // serde_json keeps the last of two equal keys: read the objects again
    // as lists of pairs to refuse them.
    let pairs: Vec<Option<Pairs>> = serde_json::from_str(text).unwrap_or_default();
    let mut out = vec![];
    for (i, item) in items.into_iter().enumerate() {
        let serde_json::Value::Object(map) = item else {
            bail!("{}is not a JSON object", row_label(i));
        };
        if let Some(Some(Pairs(keys))) = pairs.get(i)
            && let Some(k) = keys
                .iter()
                .enumerate()
                .find_map(|(j, k)| keys[..j].contains(k).then_some(k))
        {
            bail!("{}the key '{k}' appears twice; keep one", row_label(i));
        }
        let mut rec = Record::new();
        for (k, v) in map {
            check_field(&k, &row_label(i))?;
            let v = match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                other => bail!(
                    "{}field {k}: expected a string, found {other}",
                    row_label(i)
                ),
            };
            rec.insert(k, v);
        }
        out.push(rec);
    }
    Ok(out)
}

/// The keys of a JSON object in order, duplicates included.
struct Pairs(Vec<String>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Pairs, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Pairs, A::Error> {
                let mut keys = vec![];
                while let Some((k, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(k);
                }
                Ok(Pairs(keys))
            }
        }
        d.deserialize_map(Keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::Lifecycle;

    fn now() -> DateTime<Utc> {
        crate::domain::time::parse_time("2026-11-30T08:00:00Z").unwrap()
    }

    #[test]
    fn csv_and_json_read_the_same() {
        let cwd = Path::new("/data");
        let csv = "name,source,lifecycle\n\"Contoso, Ltd.\",fixture:c.json,upgrading\n";
        let json =
            r#"[{"name": "Contoso, Ltd.", "source": "fixture:c.json", "lifecycle": "upgrading"}]"#;
        let a = parse(csv, cwd, now()).unwrap();
        assert_eq!(a, parse(json, cwd, now()).unwrap());
        assert_eq!(a[0].name, "Contoso, Ltd.");
        assert_eq!(a[0].source, "fixture:/data/c.json");
        assert_eq!(a[0].lifecycle, Lifecycle::Upgrading);
        assert_eq!(a[0].last_activity_at, Some(now()));
    }

    #[test]
    fn errors_name_the_row_and_the_field() {
        let cwd = Path::new("/");
        let csv = "name,source,lifecycle\na,fixture:a.json,ready\nb,fixture:b.json,sleeping\n";
        let e = parse(csv, cwd, now()).unwrap_err().to_string();
        assert!(e.starts_with("row 2: field lifecycle:"), "{e}");
        let json = r#"[{"name": "a", "source": "fixture:a"}, {"name": "b"}]"#;
        let e = parse(json, cwd, now()).unwrap_err().to_string();
        assert!(e.starts_with("row 2: field source:"), "{e}");
        let e = parse("name,source,colour\n", cwd, now())
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
        assert!(
            parse("name\nx\n", cwd, now())
                .unwrap_err()
                .to_string()
                .contains("'source'")
        );
        assert!(
            parse("[1]", cwd, now())
                .unwrap_err()
                .to_string()
                .contains("row 1")
        );
    }
}
