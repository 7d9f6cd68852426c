//! A new account as a user describes it (`accounts add`, `accounts import`),
//! validated field by field.

use super::ids::AccountId;
use super::status::Lifecycle;
use super::time::parse_time;
use crate::domain::word::Word;
use chrono::{DateTime, Utc};

/// A validated account, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub name: String,
    /// The source in canonical form (see [`super::tenant::SourceSpec`]).
    pub source: String,
    pub tenant_id: Option<String>,
    pub lifecycle: Lifecycle,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub ad_cache_updated_at: Option<DateTime<Utc>>,
    /// The app registration a live source signs in with.
    pub credentials: Option<Credentials>,
}

/// Where the client secret is read from when it is needed. The secret
/// itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable of that name.
    Env(String),
    /// A file readable by its owner only.
    File(std::path::PathBuf),
}

impl SecretRef {
    /// The variable's name, for a secret in the environment.
    pub fn env_var(&self) -> Option<&str> {
        match self {
            SecretRef::Env(v) => Some(v),
            SecretRef::File(_) => None,
        }
    }

    /// The file's path, for a secret in a file.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            SecretRef::File(f) => Some(f),
            SecretRef::Env(_) => None,
        }
    }
}

/// How an app proves who it is to the token endpoint: a client secret
/// (read from where it is when needed), or a certificate whose private key
/// signs a client assertion. Only paths and names are ever stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppCredential {
    Secret(SecretRef),
    Certificate {
        /// The PEM certificate (may hold the key too).
        cert: std::path::PathBuf,
        /// The PEM private key, when it is not in `cert`.
        key: Option<std::path::PathBuf>,
    },
}

impl AppCredential {
    pub fn secret(&self) -> Option<&SecretRef> {
        match self {
            AppCredential::Secret(s) => Some(s),
            AppCredential::Certificate { .. } => None,
        }
    }

    pub fn certificate(&self) -> Option<&std::path::Path> {
        match self {
            AppCredential::Certificate { cert, .. } => Some(cert),
            AppCredential::Secret(_) => None,
        }
    }

    pub fn certificate_key(&self) -> Option<&std::path::Path> {
        match self {
            AppCredential::Certificate { key, .. } => key.as_deref(),
            AppCredential::Secret(_) => None,
        }
    }

    /// The file that holds the private key (the key file, else the
    /// certificate file), or the secret file.
    pub fn private_file(&self) -> Option<&std::path::Path> {
        match self {
            AppCredential::Certificate { cert, key } => Some(key.as_deref().unwrap_or(cert)),
            AppCredential::Secret(s) => s.file(),
        }
    }
}

/// The app registration of a live account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub credential: AppCredential,
    /// The Azure subscription checked by "Checking account status".
    pub subscription_id: Option<String>,
}

/// The partner's own multi-tenant app (`nfa partner set`): it signs in to
/// every `graph:` account that has no app of its own, and to the partner
/// tenant to read the GDAP relationships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerApp {
    pub tenant_id: String,
    pub client_id: String,
    pub credential: AppCredential,
}

/// The credential fields as given (`--client-id`, `client_secret_env`, …).
#[derive(Debug, Clone, Default)]
pub struct CredentialFields<'a> {
    pub client_id: Option<&'a str>,
    pub client_secret_env: Option<&'a str>,
    pub client_secret_file: Option<&'a str>,
    pub certificate_file: Option<&'a str>,
    pub certificate_key_file: Option<&'a str>,
    pub subscription_id: Option<&'a str>,
}

impl CredentialFields<'_> {
    /// Checks the fields against the kind of source: a live source takes
    /// either no app of its own (it signs in with the partner app) or a
    /// client id and exactly one credential (a secret's variable, a secret
    /// file, or a certificate); a fixture takes none. Relative paths are
    /// taken from `cwd`.
    pub fn validate(
        &self,
        live: bool,
        cwd: &std::path::Path,
    ) -> Result<Option<Credentials>, FieldError> {
        let client_id = optional(self.client_id);
        let subscription = optional(self.subscription_id);
        if !live {
            for (field, v) in [
                ("client_id", client_id),
                ("client_secret_env", optional(self.client_secret_env)),
                ("client_secret_file", optional(self.client_secret_file)),
                ("certificate_file", optional(self.certificate_file)),
                ("certificate_key_file", optional(self.certificate_key_file)),
                ("subscription_id", subscription),
            ] {
                if v.is_some() {
                    return Err(FieldError::new(field, "applies to graph: sources only"));
                }
            }
            return Ok(None);
        }
        let credential = self.credential(cwd)?;
        let Some(client_id) = client_id else {
            if let Some(field) = credential.map(|c| match c {
                AppCredential::Secret(SecretRef::Env(_)) => "client_secret_env",
                AppCredential::Secret(SecretRef::File(_)) => "client_secret_file",
                AppCredential::Certificate { .. } => "certificate_file",
            }) {
                return Err(FieldError::new(
                    field,
                    "needs client_id (the app it is the credential of)",
                ));
            }
            if subscription.is_some() {
                return Err(FieldError::new(
                    "subscription_id",
                    "needs client_id: the partner app's accounts are checked on every subscription it sees",
                ));
            }
            // No app of its own: the partner app signs in.
            return Ok(None);
        };
        let credential = credential.ok_or_else(|| {
            FieldError::new(
                "client_secret_env",
                "an app of the account's own needs client_secret_env, client_secret_file or certificate_file (or give no client_id: the partner app signs in)",
            )
        })?;
        Ok(Some(Credentials {
            client_id: client_id.to_string(),
            credential,
            subscription_id: subscription.map(str::to_string),
        }))
    }

    /// The one credential given, if any.
    pub fn credential(&self, cwd: &std::path::Path) -> Result<Option<AppCredential>, FieldError> {
        let env = optional(self.client_secret_env);
        let file = optional(self.client_secret_file);
        let cert = optional(self.certificate_file);
        let key = optional(self.certificate_key_file);
        if key.is_some() && cert.is_none() {
            return Err(FieldError::new(
                "certificate_key_file",
                "needs certificate_file (the certificate of that key)",
            ));
        }
        let given = [env, file, cert].iter().filter(|v| v.is_some()).count();
        if given > 1 {
            return Err(FieldError::new(
                "client_secret_env",
                "give one credential: the secret's variable, its file, or a certificate",
            ));
        }
        Ok(match (env, file, cert) {
            (Some(v), _, _) => Some(AppCredential::Secret(SecretRef::Env(v.to_string()))),
            (_, Some(f), _) => Some(AppCredential::Secret(SecretRef::File(cwd.join(f)))),
            (_, _, Some(c)) => Some(AppCredential::Certificate {
                cert: cwd.join(c),
                key: key.map(|k| cwd.join(k)),
            }),
            _ => None,
        })
    }
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
pub const IMPORT_FIELDS: [&str; 12] = [
    "name",
    "source",
    "tenant_id",
    "lifecycle",
    "last_activity_at",
    "ad_cache_updated_at",
    "client_id",
    "client_secret_env",
    "client_secret_file",
    "certificate_file",
    "certificate_key_file",
    "subscription_id",
];

/// The longest account name, in characters: one limit for both backends
/// (a name is indexed, and PostgreSQL's index refuses keys past 2,704
/// bytes, which 200 characters of any script stay under).
pub const MAX_NAME_CHARS: usize = 200;

/// Checks an account name and returns it in the form stored: Unicode NFC,
/// without surrounding blanks. Refused: an empty name; a name that reads as
/// an account id (`12`, `+1`, `-3`, `007`) or starts with `#` (the explicit
/// id form, `#12`), so that an account argument can never pick the wrong
/// account; control characters and invisible ones (zero-width, bidi
/// controls and other format characters, line separators), so that two
/// names that look alike are never two accounts.
pub fn validate_name(name: &str) -> Result<String, String> {
    use unicode_normalization::UnicodeNormalization;
    let n: String = name.trim().nfc().collect();
    if n.is_empty() {
        return Err("the name is empty".into());
    }
    let length = n.chars().count();
    if length > MAX_NAME_CHARS {
        return Err(format!(
            "the name is {length} characters long; at most {MAX_NAME_CHARS} are allowed (on either backend): shorten it"
        ));
    }
    if looks_like_id(&n) {
        return Err(format!(
            "the name '{n}' is all digits (a sign allowed), which would read as an account id; give it a letter"
        ));
    }
    if n.starts_with('#') {
        return Err(format!(
            "the name '{n}' starts with '#', which marks an account id (#12)"
        ));
    }
    if let Some(c) = n.chars().find(|c| invisible(*c)) {
        return Err(format!(
            "the name {} contains the invisible or control character U+{:04X}",
            n.escape_debug(),
            u32::from(c)
        ));
    }
    Ok(n)
}

/// Whether a character is a control, format (zero-width, bidi) or
/// line/paragraph separator character: nothing a name should hold.
pub fn invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
    )
}

/// Whether a text reads as a number (optional sign, ASCII digits).
fn looks_like_id(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// The key two names are compared by: NFC, lower-cased (so `Café`,
/// `CAFÉ` and `Cafe\u{301}` are one account).
pub fn name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = name.trim().nfc().collect();
    nfc.to_lowercase().nfc().collect()
}

/// How an `ACCOUNT` argument names an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRef {
    /// `#12`: the id, and only the id.
    Id(AccountId),
    /// `12` (or `+12`, `012`): the id; since no name may read as a
    /// number, only a name stored before that rule could also match, and
    /// then the argument is ambiguous.
    Number(AccountId),
    /// Anything else: a name, compared by [`name_key`].
    Name(String),
}

impl AccountRef {
    pub fn parse(text: &str) -> Result<AccountRef, String> {
        let t = text.trim();
        if let Some(id) = t.strip_prefix('#') {
            return id
                .trim()
                .parse::<i64>()
                .map(|id| AccountRef::Id(AccountId(id)))
                .map_err(|_| format!("'{t}' is not an account id (#12)"));
        }
        if looks_like_id(t) {
            return t
                .parse::<i64>()
                .map(|id| AccountRef::Number(AccountId(id)))
                .map_err(|_| format!("'{t}' is not an account id: too large"));
        }
        Ok(AccountRef::Name(t.to_string()))
    }
}

/// Refuses control characters (a NUL byte would cut the text short in
/// SQLite's C API; others would reach a terminal) in a free-text field.
pub fn check_text(field: &str, value: &str) -> Result<(), FieldError> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(FieldError::new(
            field,
            format!(
                "contains the control character U+{:04X}; remove it",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
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
        .map_err(|e| FieldError::new(field, e.to_string()))
}

/// Parses an optional lifecycle field (default `ready`).
pub fn optional_lifecycle(value: Option<&str>) -> Result<Lifecycle, FieldError> {
    optional(value)
        .map(Lifecycle::parse)
        .transpose()
        .map(|l| l.unwrap_or(Lifecycle::Ready))
        .map_err(|e| FieldError::new("lifecycle", e.to_string()))
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
        assert!(validate_name(&"é".repeat(200)).is_ok());
        let long = validate_name(&"é".repeat(201)).unwrap_err();
        assert!(
            long.contains("201 characters") && long.contains("200"),
            "{long}"
        );
        for id_like in ["+1", "-1", "007", " +12 ", "#5", "#x"] {
            assert!(validate_name(id_like).is_err(), "{id_like}");
        }
        for ok in ["1+1", "+1 Ltd", "12 Monkeys", "-", "C#"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for invisible in [
            "ab\u{200B}c",
            "\u{202E}evil",
            "a\u{2028}b",
            "x\u{FEFF}",
            "a\u{0}b",
        ] {
            let e = validate_name(invisible).unwrap_err();
            assert!(e.contains("U+"), "{e}");
        }
    }

    #[test]
    fn names_are_stored_and_compared_in_one_unicode_form() {
        let nfc = "Caf\u{e9}";
        let nfd = "Cafe\u{301}";
        assert_ne!(nfc, nfd);
        assert_eq!(validate_name(nfd).unwrap(), nfc);
        assert_eq!(name_key(nfd), name_key(nfc));
        assert_eq!(name_key("CAF\u{c9}"), name_key(nfd));
    }

    #[test]
    fn account_arguments_say_how_they_name_an_account() {
        assert_eq!(AccountRef::parse("#12"), Ok(AccountRef::Id(AccountId(12))));
        assert_eq!(
            AccountRef::parse(" 12 "),
            Ok(AccountRef::Number(AccountId(12)))
        );
        assert_eq!(
            AccountRef::parse("+1"),
            Ok(AccountRef::Number(AccountId(1)))
        );
        assert_eq!(
            AccountRef::parse("contoso"),
            Ok(AccountRef::Name("contoso".into()))
        );
        assert!(AccountRef::parse("#x").is_err());
        assert!(AccountRef::parse("99999999999999999999").is_err());
    }

    #[test]
    fn credentials_fit_the_source() {
        let cwd = std::path::Path::new("/etc/nfa");
        let fields = CredentialFields {
            client_id: Some("app"),
            client_secret_file: Some("s"),
            ..Default::default()
        };
        let c = fields.validate(true, cwd).unwrap().unwrap();
        assert_eq!(
            c.credential,
            AppCredential::Secret(SecretRef::File("/etc/nfa/s".into()))
        );
        assert_eq!(fields.validate(false, cwd).unwrap_err().field, "client_id");
        let none = CredentialFields::default();
        assert_eq!(none.validate(false, cwd), Ok(None));
        assert_eq!(
            none.validate(true, cwd),
            Ok(None),
            "the partner app signs in"
        );
        let cert = CredentialFields {
            client_id: Some("app"),
            certificate_file: Some("app.pem"),
            certificate_key_file: Some("app.key"),
            ..Default::default()
        };
        assert_eq!(
            cert.validate(true, cwd).unwrap().unwrap().credential,
            AppCredential::Certificate {
                cert: "/etc/nfa/app.pem".into(),
                key: Some("/etc/nfa/app.key".into())
            }
        );
        let key_alone = CredentialFields {
            client_id: Some("app"),
            certificate_key_file: Some("app.key"),
            ..Default::default()
        };
        assert_eq!(
            key_alone.validate(true, cwd).unwrap_err().field,
            "certificate_key_file"
        );
        let no_app = CredentialFields {
            certificate_file: Some("app.pem"),
            ..Default::default()
        };
        assert_eq!(
            no_app.validate(true, cwd).unwrap_err().field,
            "certificate_file"
        );
        let both = CredentialFields {
            client_id: Some("app"),
            client_secret_env: Some("X"),
            client_secret_file: Some("s"),
            ..Default::default()
        };
        assert!(both.validate(true, cwd).is_err());
        let neither = CredentialFields {
            client_id: Some("app"),
            ..Default::default()
        };
        assert!(neither.validate(true, cwd).is_err());
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
