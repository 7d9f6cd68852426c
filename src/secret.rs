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
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("client secret file {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!(
            "client secret file {} is not a regular file",
            path.display()
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "client secret file {} is readable by group or others (mode {mode:04o}); run: chmod 600 {}",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::from("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2");
    }
}
