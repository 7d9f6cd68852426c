//! Certificate credentials: the client assertion of the Microsoft identity
//! platform (a JWT signed with the certificate's private key, sent as
//! `client_assertion`), as Microsoft documents it for confidential clients.
//!
//! nfa signs RS256 (RSASSA-PKCS1-v1_5 with SHA-256) and names the
//! certificate by `x5t`, the base64url SHA-1 thumbprint of its DER form.
//! The claims: `aud` the token endpoint of the tenant signed in to, `iss` =
//! `sub` = the client id, a random `jti`, `nbf` = `iat` = now and `exp` five
//! minutes on. The signing is ring's (already in the build through rustls);
//! PEM is read by rustls-pki-types, the certificate by x509-cert.
//!
//! The key is read when a token is needed, checked as secret files are
//! (owner only), held by ring, and never written anywhere; the file's
//! bytes are wiped once parsed.

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use secrecy::zeroize::Zeroize;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use x509_cert::der::Decode;

/// The lifetime of an assertion (Microsoft accepts at most 10 minutes).
pub const LIFETIME_SECS: u64 = 300;

/// The OID of an RSA public key (rsaEncryption).
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// A certificate and its key, ready to sign assertions.
pub struct Signer {
    key: RsaKeyPair,
    /// `x5t`: base64url SHA-1 of the DER certificate.
    thumbprint: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("x5t", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

/// Why a certificate credential cannot be used, by the file at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertError {
    /// The certificate file (unreadable, not PEM, not RSA, not in force).
    Certificate(String),
    /// The key file (private to its owner, a PEM RSA key of the
    /// certificate, not protected by a password).
    Key(String),
}

impl std::fmt::Display for CertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertError::Certificate(m) | CertError::Key(m) => f.write_str(m),
        }
    }
}

/// What the key is checked against: the certificate file's text (it may
/// hold the key), the certificate's DER, and its RSA public key.
struct Certificate {
    text: Vec<u8>,
    der: Vec<u8>,
    public_key: Vec<u8>,
}

impl Signer {
    /// Reads the certificate `cert` and its key (`key`, else the key in
    /// `cert`), checked: the key file private to its owner, a PEM RSA key
    /// (PKCS#8 or PKCS#1) not protected by a password, the certificate in
    /// force at `now` and of that key. Every error is one line naming the
    /// file, and says which of the two it is.
    pub fn load(cert: &Path, key: Option<&Path>, now: SystemTime) -> Result<Signer, CertError> {
        let c = certificate(cert, now).map_err(CertError::Certificate)?;
        let pair = private_key(cert, key, c.text, &c.public_key).map_err(CertError::Key)?;
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &c.der);
        Ok(Signer {
            key: pair,
            thumbprint: URL_SAFE_NO_PAD.encode(sha1.as_ref()),
        })
    }

    /// The `x5t` of the certificate.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A client assertion for `client_id` at the token endpoint `audience`.
    pub fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: SystemTime,
    ) -> Result<Secret, String> {
        let rng = SystemRandom::new();
        let mut jti = [0u8; 16];
        rng.fill(&mut jti)
            .map_err(|_| "no random numbers for the client assertion".to_string())?;
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint});
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid_text(jti),
            "nbf": secs,
            "iat": secs,
            "exp": secs + LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &rng,
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "the client assertion could not be signed".to_string())?;
        Ok(Secret::from(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(&signature)
        )))
    }
}

/// The certificate of `cert`, in force at `now`, with an RSA key.
fn certificate(cert: &Path, now: SystemTime) -> Result<Certificate, String> {
    let text =
        std::fs::read(cert).map_err(|e| format!("certificate file {}: {e}", cert.display()))?;
    let der = CertificateDer::from_pem_slice(&text).map_err(|e| {
        format!(
            "certificate file {}: no PEM certificate in it ({}); give a -----BEGIN CERTIFICATE----- file",
            cert.display(),
            pem_error(&e)
        )
    })?;
    let parsed = x509_cert::Certificate::from_der(der.as_ref()).map_err(|e| {
        format!(
            "certificate file {}: the certificate cannot be read: {e}",
            cert.display()
        )
    })?;
    let tbs = &parsed.tbs_certificate;
    let not_after = tbs.validity.not_after.to_system_time();
    let not_before = tbs.validity.not_before.to_system_time();
    if now > not_after {
        return Err(format!(
            "certificate file {}: the certificate expired on {}; make a new one and upload it to the app registration",
            cert.display(),
            day(not_after)
        ));
    }
    if now < not_before {
        return Err(format!(
            "certificate file {}: the certificate is valid only from {}",
            cert.display(),
            day(not_before)
        ));
    }
    let spki = &tbs.subject_public_key_info;
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION {
        return Err(format!(
            "certificate file {}: the certificate's key is not RSA ({}); nfa signs with RSA keys",
            cert.display(),
            spki.algorithm.oid
        ));
    }
    Ok(Certificate {
        public_key: spki.subject_public_key.raw_bytes().to_vec(),
        der: der.as_ref().to_vec(),
        text,
    })
}

/// The private key of the certificate `cert`: in `key`, else in the
/// certificate file (whose text is `cert_text`), private to its owner.
fn private_key(
    cert: &Path,
    key: Option<&Path>,
    cert_text: Vec<u8>,
    public_key: &[u8],
) -> Result<RsaKeyPair, String> {
    let key_path = key.unwrap_or(cert);
    crate::secret::check_private_file("certificate key file", key_path)?;
    let mut key_text = match key {
        Some(k) => {
            std::fs::read(k).map_err(|e| format!("certificate key file {}: {e}", k.display()))?
        }
        None => cert_text,
    };
    let pair = rsa_key(&key_text, key_path);
    key_text.zeroize();
    let pair = pair?;
    if pair.public_key().as_ref() != public_key {
        return Err(format!(
            "certificate key file {}: the key is not the key of the certificate {}",
            key_path.display(),
            cert.display()
        ));
    }
    Ok(pair)
}

/// The RSA key of a PEM text: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
/// (`BEGIN RSA PRIVATE KEY`).
fn rsa_key(text: &[u8], path: &Path) -> Result<RsaKeyPair, String> {
    let shown = path.display();
    let encrypted = |t: &[u8]| {
        let t = String::from_utf8_lossy(t);
        t.contains("ENCRYPTED PRIVATE KEY") || t.contains("Proc-Type: 4,ENCRYPTED")
    };
    if encrypted(text) {
        return Err(format!(
            "certificate key file {shown}: the key is protected by a password, which nfa cannot ask for; keep a decrypted copy readable by you only (openssl pkey -in KEY -out KEY.plain; chmod 600 KEY.plain)"
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(text).map_err(|e| {
        format!(
            "certificate key file {shown}: no PEM private key in it ({}); give a -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY----- file",
            pem_error(&e)
        )
    })?;
    let pair = match &key {
        PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(_) => {
            return Err(format!(
                "certificate key file {shown}: an EC key; nfa signs with RSA keys (openssl req -newkey rsa:2048 …)"
            ));
        }
        _ => {
            return Err(format!(
                "certificate key file {shown}: not a key nfa can use"
            ));
        }
    };
    pair.map_err(|e| format!("certificate key file {shown}: not an RSA key nfa can use ({e})"))
}

fn pem_error(e: &rustls_pki_types::pem::Error) -> String {
    match e {
        rustls_pki_types::pem::Error::NoItemsFound => "nothing of that kind found".into(),
        other => other.to_string(),
    }
}

fn day(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%d")
        .to_string()
}

/// 16 random bytes written as a version-4 UUID.
fn uuid_text(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::uuid_text;

    #[test]
    fn a_jti_is_a_version_4_uuid() {
        let u = uuid_text([0xff; 16]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(&u[19..20], "b");
    }
}
