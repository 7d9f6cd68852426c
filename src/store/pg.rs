//! Connecting to PostgreSQL (team mode): the URL read, TLS as its
//! `sslmode` asks, and the errors a team meets said in one line that names
//! the server, the user or the database, and the fix. A password (in the
//! URL or in `PGPASSWORD`) is handed to the client and never printed: every
//! message names the server by [`crate::secret::redact_url`].

use anyhow::{Result, anyhow, bail};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::SslMode;

/// The largest `sslrootcert` file read.
const MAX_ROOT_CERT_BYTES: u64 = 1 << 20;

/// How TLS is used, from the URL's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `disable`: never.
    Off,
    /// `prefer` (the default, as libpq's) and `allow`: when the server
    /// offers it, encrypted but not verified.
    Opportunistic,
    /// `require`, `verify-ca`, `verify-full`: always, and the server's
    /// certificate must verify against the Mozilla roots (or `sslrootcert`)
    /// and name the host. Stricter than libpq's `require`, which does not
    /// verify.
    Verified,
}

/// A connection URL taken apart: what `tokio_postgres::Config` reads, and what
/// nfa reads itself (`sslmode`, `sslrootcert`).
#[derive(Clone)]
pub struct Target {
    pub config: tokio_postgres::Config,
    pub tls: Tls,
    root_cert: Option<String>,
    /// The URL as messages show it (password hidden).
    pub shown: String,
    /// The password comes from `NFA_PG_PASSWORD_COMMAND`, run for each
    /// new connection (the URL has none).
    password_command: bool,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target> {
        let shown = crate::secret::redact_url(url);
        let mut parsed =
            url::Url::parse(url).map_err(|e| anyhow!("--db {shown}: not a valid URL ({e})"))?;
        if parsed.host_str().is_none_or(str::is_empty) {
            bail!(
                "--db {shown}: the URL names no host (a Unix-socket URL is not read by nfa); name the server: postgres://USER@HOST:PORT/DATABASE"
            );
        }
        if parsed.path().trim_matches('/').is_empty() {
            bail!(
                "--db {shown}: the URL names no database; name nfa's own: postgres://USER@HOST:PORT/DATABASE (nfa does not put its tables in the server's default database)"
            );
        }
        let mut tls = Tls::Opportunistic;
        let mut root_cert = None;
        let mut rest: Vec<(String, String)> = vec![];
        for (k, v) in parsed.query_pairs() {
            match k.as_ref() {
                "sslmode" => {
                    tls = match v.as_ref() {
                        "disable" => Tls::Off,
                        "allow" | "prefer" => Tls::Opportunistic,
                        "require" | "verify-ca" | "verify-full" => Tls::Verified,
                        other => bail!(
                            "--db {shown}: sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                        ),
                    }
                }
                "sslrootcert" => root_cert = Some(v.into_owned()),
                _ => rest.push((k.into_owned(), v.into_owned())),
            }
        }
        if rest.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(rest);
        }
        let mut config: tokio_postgres::Config = parsed
            .as_str()
            .parse()
            .map_err(|e| anyhow!("--db {shown}: not a PostgreSQL connection URL ({e})"))?;
        let command = password_command_var().is_some();
        if config.get_password().is_none()
            && !command
            && let Ok(pw) = std::env::var("PGPASSWORD")
        {
            config.password(pw);
        }
        if config.get_user().is_none() {
            let user = std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".to_string());
            config.user(&user);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        // A path that goes silent is found by TCP too, within about 30 s,
        // also while a statement waits (see `store::wire` for the rest).
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(30));
        config.application_name("nfa");
        config.ssl_mode(match tls {
            Tls::Off => SslMode::Disable,
            Tls::Opportunistic => SslMode::Prefer,
            Tls::Verified => SslMode::Require,
        });
        Ok(Target {
            password_command: command && config.get_password().is_none(),
            config,
            tls,
            root_cert,
            shown,
        })
    }

    /// `host:port` of the (first) server.
    /// The port connected to (the first).
    pub fn port(&self) -> u16 {
        self.config.get_ports().first().copied().unwrap_or(5432)
    }

    pub fn server(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_string(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!("{host}:{port}")
    }

    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or("")
    }

    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or("")
    }

    /// Opens the connection; an error is one line naming the fix. A server
    /// out of connections (SQLSTATE 53300: `max_connections`, or the
    /// role's `CONNECTION LIMIT`) is waited for, within `NFA_LOCK_TIMEOUT`,
    /// with one line on standard error.
    pub fn connect(&self) -> Result<super::wire::Wire> {
        let limit = super::lock_timeout()?;
        let start = std::time::Instant::now();
        let mut pause = Duration::from_millis(50);
        let mut told = false;
        loop {
            match self.connect_once() {
                Err(e) if too_many_connections(&e) => {
                    let waited = start.elapsed();
                    if waited >= limit {
                        return Err(anyhow!(
                            "PostgreSQL at {} had no free connection for {}s: raise max_connections (or the login's CONNECTION LIMIT), put PgBouncer in front of it, or run fewer nfa processes at once (NFA_LOCK_TIMEOUT sets the wait)",
                            self.server(),
                            limit.as_secs()
                        ));
                    }
                    if !told {
                        eprintln!(
                            "warning: PostgreSQL at {} has too many connections; waiting up to {}s for one (NFA_LOCK_TIMEOUT)",
                            self.server(),
                            limit.as_secs()
                        );
                        told = true;
                    }
                    std::thread::sleep(pause.min(limit.saturating_sub(waited)));
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }

    fn connect_once(&self) -> Result<super::wire::Wire> {
        use super::wire::{CancelTls, Wire};
        let with_password;
        let config = if self.password_command {
            use secrecy::ExposeSecret;
            let mut c = self.config.clone();
            c.password(run_password_command()?.expose_secret());
            with_password = c;
            &with_password
        } else {
            &self.config
        };
        let result = match self.tls {
            Tls::Off => Wire::connect(config, tokio_postgres::NoTls, CancelTls::Plain),
            Tls::Opportunistic => {
                let tls = connector(Verify::No)?;
                Wire::connect(config, tls.clone(), CancelTls::Rustls(tls))
            }
            Tls::Verified => {
                let tls = connector(Verify::Roots(self.roots()?))?;
                Wire::connect(config, tls.clone(), CancelTls::Rustls(tls))
            }
        };
        result.map_err(|e| {
            if too_many_connections(&e) {
                return e;
            }
            anyhow!(
                self.explain_in(&e, true)
                    .unwrap_or_else(|| format!("{e:#}"))
            )
        })
    }

    /// [`Target::explain`] of the first PostgreSQL error (or wait that
    /// did not end) in an error's chain, on a connection that was made.
    pub fn explain_any(&self, err: &anyhow::Error) -> Option<String> {
        self.explain_in(err, false)
    }

    /// [`Target::explain_any`], `connecting` or not: a socket's error is
    /// "cannot reach" while connecting, "was lost" after.
    fn explain_in(&self, err: &anyhow::Error, connecting: bool) -> Option<String> {
        let server = self.server();
        err.chain().find_map(|e| {
            if e.downcast_ref::<super::sql::Busy>().is_some() {
                return Some(locked_too_long(&server));
            }
            if let Some(wait) = e.downcast_ref::<super::wire::WaitError>() {
                use super::wire::WaitError::*;
                return match wait {
                    Silent(secs) => Some(format!(
                        "the connection to PostgreSQL at {server} was lost (no answer for {secs}s; NFA_PG_TIMEOUT sets the wait); nothing of the interrupted write was kept, run the command again"
                    )),
                    NoStartup(secs) => Some(format!(
                        "cannot reach PostgreSQL at {server} (it accepted the connection but did not answer within {secs}s): is it a PostgreSQL server, and is it overloaded? (connect_timeout=SECONDS in the URL sets the wait)"
                    )),
                    Interrupted => None,
                };
            }
            e.downcast_ref::<tokio_postgres::Error>()
                .and_then(|e| self.explain(e, connecting))
        })
    }

    fn roots(&self) -> Result<rustls::RootCertStore> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let mut roots = rustls::RootCertStore::empty();
        match &self.root_cert {
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Some(file) => {
                // A regular file of a sensible size (a FIFO would hang the
                // read, /dev/zero would never end).
                match std::fs::metadata(file) {
                    Ok(m) if m.is_file() && m.len() <= MAX_ROOT_CERT_BYTES => {}
                    Ok(m) if m.is_file() => bail!(
                        "sslrootcert {file}: {} bytes; a file of CA certificates (PEM) is at most 1 MiB",
                        m.len()
                    ),
                    Ok(_) => bail!(
                        "sslrootcert {file}: not a regular file; name a PEM file of CA certificates"
                    ),
                    Err(e) => bail!("sslrootcert {file}: {e}"),
                }
                for cert in CertificateDer::pem_file_iter(file)
                    .map_err(|e| anyhow!("sslrootcert {file}: {e}"))?
                {
                    let cert = cert.map_err(|e| anyhow!("sslrootcert {file}: {e}"))?;
                    roots
                        .add(cert)
                        .map_err(|e| anyhow!("sslrootcert {file}: {e}"))?;
                }
            }
        }
        Ok(roots)
    }

    /// "permission denied for table tasks", said with the object and the
    /// grant that fixes it.
    fn permission_denied(&self, message: &str) -> String {
        let (server, user, db) = (self.server(), self.user(), self.dbname());
        let object = message
            .strip_prefix("permission denied for ")
            .and_then(|rest| rest.split_once(' '));
        let grant = match object {
            // nfa's tables and sequences: their rights come with the roles.
            Some(("table" | "relation" | "view" | "sequence", _)) => Some(format!(
                "nfa team grant {user} --role viewer|helpdesk|engineer|admin"
            )),
            Some(("schema", name)) => {
                Some(format!("GRANT USAGE, CREATE ON SCHEMA {name} TO {user}"))
            }
            Some(("database", name)) => Some(format!(
                "GRANT CONNECT, CREATE ON DATABASE {name} TO {user}"
            )),
            _ => None,
        };
        match (object, grant) {
            (Some((kind @ ("schema" | "database"), name)), Some(grant)) => format!(
                "PostgreSQL at {server}: user '{user}' may not use the {kind} {name} of database '{db}' (permission denied); the database's owner can grant it: {grant} (see README, Team mode)"
            ),
            (Some((kind, name)), Some(grant)) => format!(
                "PostgreSQL at {server}: user '{user}' may not use the {kind} {name} of database '{db}' (permission denied); an nfa admin grants the rights with a role: {grant} (see README, Engineers and roles)"
            ),
            _ => format!(
                "PostgreSQL at {server}: permission denied for user '{user}' ({message}); the database's owner can grant the rights on database '{db}' (see README, Team mode)"
            ),
        }
    }

    /// What a PostgreSQL error means for the user, in one line, or `None`
    /// when it is not one nfa knows.
    pub fn explain(&self, e: &tokio_postgres::Error, connecting: bool) -> Option<String> {
        let server = self.server();
        let shown = &self.shown;
        if let Some(db) = e.as_db_error() {
            let code = db.code().code();
            return Some(match code {
                "28P01" | "28000" if self.password_command => format!(
                    "PostgreSQL at {server} refused user '{}': authentication failed with the password NFA_PG_PASSWORD_COMMAND printed; check that the command prints a current token of that user (az account get-access-token --resource-type oss-rdbms) and the server's pg_hba.conf or Entra ID admins",
                    self.user()
                ),
                "28P01" | "28000" => format!(
                    "PostgreSQL at {server} refused user '{}': authentication failed; check the user and the password (in the URL or PGPASSWORD) and the server's pg_hba.conf",
                    self.user()
                ),
                "3D000" => format!(
                    "PostgreSQL at {server} has no database '{}': create it first (createdb {}, or CREATE DATABASE)",
                    self.dbname(),
                    self.dbname()
                ),
                "42501" => self.permission_denied(db.message()),
                "55P03" => locked_too_long(&server),
                "53300" => format!(
                    "PostgreSQL at {server} has too many connections; try again, or raise max_connections"
                ),
                "57P01" | "57P02" => format!(
                    "the connection to PostgreSQL at {server} was lost (the server ended it: a restart, a failover or an administrator); nothing of the interrupted write was kept, run the command again"
                ),
                "57P03" => {
                    format!("PostgreSQL at {server} is starting up or shutting down; try again")
                }
                _ => {
                    let mut text = format!("PostgreSQL at {server}: {}", db.message());
                    if let Some(detail) = db.detail() {
                        text.push_str(&format!(" ({detail})"));
                    }
                    text.replace('\n', " ")
                }
            });
        }
        let tls_failed = |tls: &rustls::Error| {
            format!(
                "TLS to PostgreSQL at {server} failed: {tls}; the server's certificate must verify (sslrootcert=FILE names a private CA) — or use sslmode=disable on a trusted network"
            )
        };
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind::*;
                let what = match io.kind() {
                    ConnectionRefused => "connection refused".to_string(),
                    TimedOut => "timed out".to_string(),
                    _ => io.to_string(),
                };
                if let Some(tls) = io
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                {
                    return Some(tls_failed(tls));
                }
                return Some(if connecting {
                    format!(
                        "cannot reach PostgreSQL at {server} ({what}): is the server running, and are the host and port of {shown} right?"
                    )
                } else {
                    format!(
                        "the connection to PostgreSQL at {server} was lost ({what}); nothing of the interrupted write was kept, run the command again"
                    )
                });
            }
            if let Some(tls) = s.downcast_ref::<rustls::Error>() {
                return Some(tls_failed(tls));
            }
            source = s.source();
        }
        let text = e.to_string();
        if text.contains("server does not support TLS") {
            return Some(format!(
                "PostgreSQL at {server} does not offer TLS, which sslmode=require asks for; enable ssl on the server, or use sslmode=disable on a trusted network"
            ));
        }
        if e.is_closed() || text.contains("connection closed") {
            return Some(format!(
                "the connection to PostgreSQL at {server} was lost; nothing of the interrupted write was kept, run the command again"
            ));
        }
        if connecting && (text.contains("timeout") || text.contains("timed out")) {
            return Some(format!(
                "cannot reach PostgreSQL at {server} (timed out): is the server running, and are the host and port of {shown} right?"
            ));
        }
        None
    }
}

enum Verify {
    No,
    Roots(rustls::RootCertStore),
}

/// `NFA_PG_PASSWORD_COMMAND`, when set to something.
fn password_command_var() -> Option<String> {
    std::env::var("NFA_PG_PASSWORD_COMMAND")
        .ok()
        .filter(|c| !c.trim().is_empty())
}

/// Runs `NFA_PG_PASSWORD_COMMAND` (by the shell) for one new connection:
/// its standard output, surrounding blanks trimmed, is the password (for
/// Microsoft Entra ID an access token that expires within the hour, so
/// it is asked for anew each time). The output is a secret: it is never
/// printed, never part of an error; the command's own messages go to
/// standard error as it writes them.
fn run_password_command() -> Result<crate::secret::Secret> {
    const VAR: &str = "NFA_PG_PASSWORD_COMMAND";
    let command = password_command_var().ok_or_else(|| anyhow!("{VAR} is not set"))?;
    #[cfg(unix)]
    let mut cmd = std::process::Command::new("sh");
    #[cfg(unix)]
    cmd.arg("-c").arg(&command);
    #[cfg(not(unix))]
    let mut cmd = std::process::Command::new("cmd");
    #[cfg(not(unix))]
    cmd.arg("/C").arg(&command);
    let out = cmd
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| anyhow!("{VAR} could not be run ({e}); it is run by the shell (sh -c)"))?;
    let text = secrecy::SecretString::from(String::from_utf8_lossy(&out.stdout).into_owned());
    if !out.status.success() {
        let how = match out.status.code() {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_string(),
        };
        bail!(
            "{VAR} failed ({how}); its own message, if any, is above; the command must print the password (e.g. az account get-access-token --resource-type oss-rdbms --query accessToken -o tsv)"
        );
    }
    use secrecy::ExposeSecret;
    let password = text.expose_secret().trim();
    if password.is_empty() {
        bail!(
            "{VAR} printed no password on its standard output; the command must print it (e.g. az account get-access-token --resource-type oss-rdbms --query accessToken -o tsv)"
        );
    }
    Ok(crate::secret::Secret::from(password))
}

/// Whether a connection was refused for want of a free one (53300).
fn too_many_connections(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<tokio_postgres::Error>()
            .and_then(tokio_postgres::Error::code)
            == Some(&tokio_postgres::error::SqlState::TOO_MANY_CONNECTIONS)
    })
}

fn connector(verify: Verify) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let config = match verify {
        Verify::Roots(roots) => builder.with_root_certificates(roots).with_no_client_auth(),
        Verify::No => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// `sslmode=prefer`: encryption without a check of who answers (libpq's
/// meaning of `prefer`). The handshake's signatures are still checked.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A lock (an account's, or the schema's) that stayed taken for all of
/// `NFA_LOCK_TIMEOUT`.
fn locked_too_long(server: &str) -> String {
    let waited = super::lock_timeout()
        .unwrap_or(super::BUSY_TIMEOUT)
        .as_secs();
    format!(
        "PostgreSQL at {server}: an account (or the schema) stayed locked by another nfa for more than {waited}s; try again (NFA_LOCK_TIMEOUT sets the wait)"
    )
}

/// What stands before the server, as `NFA_PG_POOLER` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooler {
    /// Unset: found at opening ([`Pooler::keeps`]).
    Unsaid,
    /// `session`: nothing, or a pooler in session mode; statements kept.
    Session,
    /// `transaction`: a pooler in transaction mode; statements never kept.
    Transaction,
}

impl Pooler {
    pub fn from_env() -> Result<Pooler> {
        match std::env::var("NFA_PG_POOLER") {
            Err(std::env::VarError::NotPresent) => Ok(Pooler::Unsaid),
            Ok(v) if v.is_empty() => Ok(Pooler::Unsaid),
            Ok(v) if v == "session" => Ok(Pooler::Session),
            Ok(v) if v == "transaction" => Ok(Pooler::Transaction),
            Ok(v) => anyhow::bail!(
                "NFA_PG_POOLER is '{}': it is 'transaction' (a pooler in transaction mode, such as PgBouncer's, stands before the server) or 'session' (nothing, or a pooler in session mode; unset, nfa finds out which by the server's port)",
                v.escape_debug()
            ),
            Err(std::env::VarError::NotUnicode(_)) => {
                anyhow::bail!("NFA_PG_POOLER is not valid UTF-8: it is 'transaction' or 'session'")
            }
        }
    }

    /// Whether statements used again are kept prepared, given the port
    /// the server says it was reached on (`inet_server_port()`, None over
    /// a Unix socket) and the port nfa connected to. Unsaid, they are kept
    /// only when the two are the same: any other port means something
    /// stands between (PgBouncer, Azure's built-in PgBouncer on 6432, a
    /// proxy, a forwarded port), which may hand each transaction another
    /// server connection, where a statement kept on the first is missing
    /// or, worse, another client's of the same name (an older pooler does
    /// not track them). Not keeping costs only planning; keeping behind
    /// such a pooler would run the wrong statement.
    pub fn keeps(self, server_port: Option<u16>, our_port: u16) -> bool {
        match self {
            Pooler::Session => true,
            Pooler::Transaction => false,
            Pooler::Unsaid => server_port == Some(our_port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_kept_unless_a_pooler_may_stand_between() {
        // Said.
        assert!(Pooler::Session.keeps(Some(5432), 6432));
        assert!(!Pooler::Transaction.keeps(Some(5432), 5432));
        // Unsaid: the server reached on the port nfa connected to.
        assert!(Pooler::Unsaid.keeps(Some(5432), 5432));
        assert!(Pooler::Unsaid.keeps(Some(6543), 6543));
        // PgBouncer (or any proxy) on another port; a Unix socket between.
        assert!(!Pooler::Unsaid.keeps(Some(5432), 6432));
        assert!(!Pooler::Unsaid.keeps(None, 5432));
    }

    #[test]
    fn sslmode_is_read_by_nfa_and_the_rest_by_the_client() {
        let t =
            Target::parse("postgres://ann:pw@db.example:6432/team?sslmode=verify-full").unwrap();
        assert_eq!(t.tls, Tls::Verified);
        assert_eq!(t.server(), "db.example:6432");
        assert_eq!((t.user(), t.dbname()), ("ann", "team"));
        assert!(!t.shown.contains("pw"));
        let t = Target::parse("postgresql://ann@db/team").unwrap();
        assert_eq!(t.tls, Tls::Opportunistic);
        let t = Target::parse("postgres://ann@db/team?sslmode=disable").unwrap();
        assert_eq!(t.tls, Tls::Off);
        let e = Target::parse("postgres://ann:secret@db/team?sslmode=sometimes")
            .err()
            .unwrap();
        assert!(e.to_string().contains("sslmode=sometimes"), "{e}");
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
