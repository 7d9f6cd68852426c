//! Secrets (a client secret, a token): held in `secrecy`'s wrapper, so that
//! their text never leaves through `Debug` or `Display` and is wiped from
//! memory when dropped; read from where an account says they are; their
//! files checked as ssh checks keys.

use crate::domain::account::SecretRef;
use std::path::Path;

pub use secrecy::{ExposeSecret, SecretString as Secret};

/// Refuses a secret file that group or others can read (as ssh does with
/// keys), or that is not a readable regular file.
pub fn check_file(path: &Path) -> Result<(), String> {
    check_private_file("client secret file", path)
}

/// [`check_file`] for a file of another kind (`what` names it in errors:
/// "certificate key file").
pub fn check_private_file(what: &str, path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{what} {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{what} {} is not a regular file", path.display()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "{what} {} is readable by group or others (mode {mode:04o}); run: chmod 600 {}",
                path.display(),
                path.display()
            ));
        }
    }
    Ok(())
}

/// Reads the secret from its variable or its (checked) file, surrounding
/// blanks trimmed; an empty one is refused.
pub fn read(r: &SecretRef) -> Result<Secret, String> {
    let text = match r {
        SecretRef::Env(var) => std::env::var(var)
            .map_err(|_| format!("the client secret variable {var} is not set"))?,
        SecretRef::File(path) => {
            check_file(path)?;
            std::fs::read_to_string(path)
                .map_err(|e| format!("client secret file {}: {e}", path.display()))?
        }
    };
    let text = text.trim();
    if text.is_empty() {
        return Err("the client secret is empty".to_string());
    }
    Ok(Secret::from(text))
}

/// A connection URL as it may be shown: its password (if any) as `***`.
/// Text that does not parse as a URL is shown as its scheme only, since
/// where its password is cannot be told.
pub fn redact_url(db: &str) -> String {
    match url::Url::parse(db) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            // libpq's `?password=` is as secret as the user-info one.
            if u.query_pairs().any(|(k, _)| k == "password") {
                let pairs: Vec<(String, String)> = u
                    .query_pairs()
                    .map(|(k, v)| match k.as_ref() {
                        "password" => (k.into_owned(), "***".to_string()),
                        _ => (k.into_owned(), v.into_owned()),
                    })
                    .collect();
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        Err(_) => match db.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "…".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::from("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2");
    }

    #[test]
    fn a_url_is_shown_without_its_password() {
        assert_eq!(
            redact_url("postgres://nfa:s3cret@db.example.com:5432/nfa?sslmode=require"),
            "postgres://nfa:***@db.example.com:5432/nfa?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://nfa@127.0.0.1/nfa"),
            "postgres://nfa@127.0.0.1/nfa"
        );
        assert!(!redact_url("postgres://nfa:s3cret@[bad/nfa").contains("s3cret"));
        assert_eq!(
            redact_url("postgres://nfa@db/nfa?sslmode=disable&password=s3cret"),
            "postgres://nfa@db/nfa?sslmode=disable&password=***"
        );
    }
}
