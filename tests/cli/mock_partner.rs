//! The mock tenant of [`crate::mock_tenant`] grown for partner mode: a
//! token endpoint that verifies certificate credentials (the client
//! assertion's signature against the registered test certificate, `aud`,
//! `iss`, `sub`, the lifetime, `x5t`) and refuses a bad one with the
//! identity platform's AADSTS errors; access tokens shaped as JWTs whose
//! claims carry `tid` and `roles`; and the partner tenant's GDAP
//! relationships, paged, with Microsoft's documented example items.

use super::mock_tenant::*;
use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mockito::{Matcher, Request};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use x509_cert::der::Decode;

/// The partner tenant and its multi-tenant app.
pub const PARTNER: &str = "8777b240-c6f0-4469-9e98-a3205431b836";
pub const PARTNER_CLIENT: &str = "99999999-8888-7777-6666-555555555555";
/// The customer of Microsoft's example ("Contoso Inc").
pub const CUSTOMER: &str = "52eaad04-13a2-4a2f-9ce8-93a294fadf36";
/// Graph's refusal of a request the app has no permission for.
pub const DENIED: &str = r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#;
/// Every application permission the tasks need.
pub const ALL_ROLES: [&str; 3] = ["User.Read.All", "Group.Read.All", "Organization.Read.All"];

/// A checked-in test file (`tests/cli/data/certs`), copied into the
/// sandbox with `mode` (git keeps no 0600).
pub fn cert_file(s: &Sandbox, name: &str, mode: u32) -> String {
    use std::os::unix::fs::PermissionsExt;
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli/data/certs")
        .join(name);
    let dst = s.path(name);
    std::fs::copy(&src, &dst).unwrap();
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(mode)).unwrap();
    dst.display().to_string()
}

/// The base64 lines of a test key (none of which may appear anywhere nfa
/// writes).
pub fn key_lines(name: &str) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli/data/certs")
        .join(name);
    std::fs::read_to_string(src)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 40)
        .map(str::to_string)
        .collect()
}

/// An access token as the mock issues it: a JWT (unsigned) whose claims
/// name the tenant, the resource and the application permissions.
pub fn jwt(tenant: &str, scope: &str, roles: &[&str]) -> String {
    let enc = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.mock-signature",
        enc(json!({"typ": "JWT", "alg": "RS256", "x5t": "mock"})),
        enc(
            json!({"aud": scope.trim_end_matches("/.default"), "tid": tenant, "roles": roles,
                   "iss": format!("https://sts.windows.net/{tenant}/")})
        )
    )
}

/// What the token endpoint of one tenant expects of a certificate sign-in.
#[derive(Clone)]
pub struct Registration {
    pub tenant: String,
    pub client: String,
    /// The DER of the certificate uploaded to the app.
    pub cert_der: Vec<u8>,
    /// The application permissions granted in that tenant.
    pub roles: Vec<String>,
    /// How far the mock's clock is ahead of the real one.
    pub skew_secs: i64,
}

impl Registration {
    pub fn new(tenant: &str, client: &str, cert: &str) -> Registration {
        let pem = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/cli/data/certs")
            .join(cert);
        Registration {
            tenant: tenant.into(),
            client: client.into(),
            cert_der: CertificateDer::from_pem_file(pem)
                .unwrap()
                .as_ref()
                .to_vec(),
            roles: ALL_ROLES.iter().map(ToString::to_string).collect(),
            skew_secs: 0,
        }
    }
}

/// A refusal as the identity platform sends it.
fn refusal(code: u64, text: &str) -> (usize, String) {
    (
        401,
        json!({
            "error": "invalid_client",
            "error_description": format!("AADSTS{code}: {text} Trace ID: 0000 Correlation ID: 1111 Timestamp: 2026-11-30 08:00:00Z"),
            "error_codes": [code],
            "timestamp": "2026-11-30 08:00:00Z",
            "trace_id": "0000",
            "correlation_id": "1111"
        })
        .to_string(),
    )
}

/// Checks a client-credentials request with a client assertion as the
/// identity platform does, and answers it.
fn answer(reg: &Registration, audience: &str, req: &Request) -> (usize, String) {
    let body = req.body().cloned().unwrap_or_default();
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if get("grant_type") != "client_credentials" {
        return refusal(
            900_144,
            "The request body must contain the parameter 'grant_type'.",
        );
    }
    if get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
        return refusal(
            700_025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        );
    }
    if get("client_id") != reg.client {
        return refusal(700_016, "Application not found in the directory.");
    }
    let parts: Vec<&str> = get("client_assertion").split('.').collect();
    let [h, c, sig] = parts[..] else {
        return refusal(50_027, "JWT token is invalid or malformed.");
    };
    let decode = |p: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
    };
    let (Some(header), Some(claims)) = (decode(h), decode(c)) else {
        return refusal(50_027, "JWT token is invalid or malformed.");
    };
    let thumbprint = URL_SAFE_NO_PAD.encode(
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &reg.cert_der).as_ref(),
    );
    if header["alg"] != "RS256" || header["x5t"] != thumbprint.as_str() {
        return refusal(
            700_027,
            "Client assertion failed signature validation. [Reason - The key was not found.]",
        );
    }
    let cert = x509_cert::Certificate::from_der(&reg.cert_der).unwrap();
    let key = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    let verified = URL_SAFE_NO_PAD.decode(sig).ok().is_some_and(|sig| {
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
            .verify(format!("{h}.{c}").as_bytes(), &sig)
            .is_ok()
    });
    if !verified {
        return refusal(700_027, "Client assertion failed signature validation.");
    }
    if claims["aud"] != audience {
        return refusal(
            700_023,
            "Client assertion audience claim does not match Realm issuer.",
        );
    }
    if claims["iss"] != reg.client.as_str() || claims["sub"] != reg.client.as_str() {
        return refusal(
            700_021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        );
    }
    if claims["jti"].as_str().is_none_or(str::is_empty) {
        return refusal(50_027, "JWT token is invalid or malformed: no jti.");
    }
    let now = chrono::Utc::now().timestamp() + reg.skew_secs;
    let (nbf, exp) = (
        claims["nbf"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    if exp - nbf > 600 || exp < now || nbf > now + 300 {
        return refusal(
            700_024,
            "Client assertion is not within its valid time range.",
        );
    }
    let roles: Vec<&str> = reg.roles.iter().map(String::as_str).collect();
    let token = jwt(&reg.tenant, get("scope"), &roles);
    (
        200,
        json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})
            .to_string(),
    )
}

impl Tenant {
    /// The token endpoint of `reg.tenant` takes certificate sign-ins of
    /// `reg.client` for `scope`; the returned counter counts the requests.
    pub fn assertion_tokens(&mut self, reg: &Registration, scope: &str) -> Arc<AtomicUsize> {
        let count = Arc::new(AtomicUsize::new(0));
        let path = format!("/{}/oauth2/v2.0/token", reg.tenant);
        let audience = format!("{}{path}", self.url());
        let (r1, a1, r2, a2, n) = (
            reg.clone(),
            audience.clone(),
            reg.clone(),
            audience,
            count.clone(),
        );
        let m = self
            .server
            .mock("POST", path.as_str())
            .match_body(Matcher::AllOf(vec![
                Matcher::UrlEncoded("scope".into(), scope.into()),
                Matcher::Regex("client_assertion=".into()),
            ]))
            .with_header("content-type", "application/json; charset=utf-8")
            .with_status_code_from_request(move |req| {
                n.fetch_add(1, Ordering::SeqCst);
                answer(&r1, &a1, req).0
            })
            .with_body_from_request(move |req| answer(&r2, &a2, req).1.into_bytes())
            .create();
        self.mocks.push(m);
        count
    }

    /// Graph and ARM answer `tenant`'s tokens for `roles`: the Graph and
    /// ARM mocks created after this expect them.
    pub fn expect_tokens_of(&mut self, tenant: &str, roles: &[&str]) -> &mut Self {
        self.graph_token = jwt(tenant, GRAPH_SCOPE, roles);
        self.arm_token = jwt(tenant, ARM_SCOPE, roles);
        self
    }

    /// The partner app signs in to `tenant` (Graph and ARM) by certificate,
    /// granted `roles` there; the Graph and ARM mocks created after this
    /// expect its tokens.
    pub fn partner_signs_in_to(&mut self, tenant: &str, roles: &[&str]) -> &mut Self {
        let mut reg = Registration::new(tenant, PARTNER_CLIENT, "app.pem");
        reg.roles = roles.iter().map(ToString::to_string).collect();
        self.assertion_tokens(&reg, GRAPH_SCOPE);
        self.assertion_tokens(&reg, ARM_SCOPE);
        self.expect_tokens_of(tenant, roles)
    }

    /// The partner tenant's GDAP list refused (no permission), every time.
    pub fn gdap_denied(&mut self) -> mockito::Mock {
        self.server
            .mock(
                "GET",
                "/v1.0/tenantRelationships/delegatedAdminRelationships",
            )
            .match_query(Matcher::Any)
            .with_status(403)
            .with_header("content-type", "application/json")
            .with_body(DENIED)
            .create()
    }

    /// The partner tenant's GDAP list in `pages` (the first asked for with
    /// `$top=300`, the next ones by their `@odata.nextLink`), read with the
    /// partner tenant's Graph token, each page `reads` times (the returned
    /// mocks `assert()` it).
    pub fn gdap(&mut self, pages: &[Vec<Value>], reads: usize) -> Vec<mockito::Mock> {
        self.gdap_read(pages, Some(reads))
    }

    /// [`Tenant::gdap`], read any number of times (`None`).
    pub fn gdap_read(&mut self, pages: &[Vec<Value>], reads: Option<usize>) -> Vec<mockito::Mock> {
        let path = "/v1.0/tenantRelationships/delegatedAdminRelationships";
        let token = jwt(
            PARTNER,
            GRAPH_SCOPE,
            &["DelegatedAdminRelationship.Read.All"],
        );
        let mut out = vec![];
        for (i, page) in pages.iter().enumerate() {
            let query = if i == 0 {
                Matcher::AllOf(vec![
                    Matcher::UrlEncoded("$top".into(), "300".into()),
                    Matcher::UrlEncoded(
                        "$select".into(),
                        "id,customer,status,endDateTime,autoExtendDuration,accessDetails".into(),
                    ),
                ])
            } else {
                Matcher::UrlEncoded("$skiptoken".into(), format!("gdap-p{i}"))
            };
            let mut body = json!({
                "@odata.context": format!("{}/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships", self.url()),
                "value": page,
            });
            if i + 1 < pages.len() {
                body["@odata.nextLink"] =
                    json!(format!("{}{path}?$skiptoken=gdap-p{}", self.url(), i + 1));
            }
            let mock = self
                .server
                .mock("GET", path)
                .match_header("authorization", format!("Bearer {token}").as_str())
                .match_query(query)
                .with_header("content-type", "application/json")
                .with_body(body.to_string());
            out.push(
                match reads {
                    Some(n) => mock.expect(n),
                    None => mock,
                }
                .create(),
            );
        }
        out
    }
}

/// A relationship as Graph lists it.
pub fn relationship(
    customer: &str,
    name: &str,
    status: &str,
    end: Option<&str>,
    auto_extend: &str,
    roles: &[&str],
) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
        "@odata.etag": "W/\"JyIwMzAwZTM0ZS0wMDAwLTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw==\"",
        "id": format!("{customer}-{status}-{PARTNER}"),
        "displayName": format!("{name} admin relationship"),
        "duration": "P730D",
        "customer": {"tenantId": customer, "displayName": name},
        "accessDetails": {"unifiedRoles": roles.iter().map(|r| json!({"roleDefinitionId": r})).collect::<Vec<_>>()},
        "status": status,
        "autoExtendDuration": auto_extend,
        "createdDateTime": "2022-02-10T11:24:42.3148266Z",
        "lastModifiedDateTime": "2022-02-10T11:26:44.9941884Z",
        "activatedDateTime": end.map(|_| "2022-02-10T11:26:44.9941884Z"),
        "endDateTime": end,
    })
}

/// The three items of Microsoft's example response, verbatim (an active
/// relationship whose role id nfa does not know, a terminated one, and a
/// reseller relationship pending approval, with no end date, of the same
/// customer tenant as the first).
pub fn documented_items() -> Vec<Value> {
    vec![
        json!({
          "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
          "@odata.etag": "W/\"JyIwMzAwZTM0ZS0wMDAwLTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw==\"",
          "id": "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836",
          "displayName": "Contoso admin relationship",
          "duration": "P730D",
          "customer": {"tenantId": CUSTOMER, "displayName": "Contoso Inc"},
          "accessDetails": {"unifiedRoles": [{"roleDefinitionId": "dd4db9a0-cc4a-4213-9f9f-70242232d97e"}]},
          "status": "active",
          "autoExtendDuration": "P180D",
          "createdDateTime": "2022-02-10T11:24:42.3148266Z",
          "lastModifiedDateTime": "2022-02-10T11:26:44.9941884Z",
          "activatedDateTime": "2022-02-10T11:26:44.9941884Z",
          "endDateTime": "2024-02-10T11:24:42.3148266Z"
        }),
        json!({
          "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
          "@odata.etag": "W/\"JyIwMzAwZTM0ZS0wKklILTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw==\"",
          "id": "1041ef52-a99b-4245-a3be-cbd3fa7c5ed1-8777b240-c6f0-4469-9e98-a3205431b836",
          "displayName": "Contoso subsidiary relationship",
          "duration": "P30D",
          "customer": {"tenantId": "4b827261-d21f-4aa9-b7db-7fa1f56fb163", "displayName": "Contoso subsidiary Inc"},
          "accessDetails": {"unifiedRoles": [
              {"roleDefinitionId": "29232cdf-9323-42fd-ade2-1d097af3e4de"},
              {"roleDefinitionId": "3a2c62db-5318-420d-8d74-23affee5d9d5"}]},
          "status": "terminated",
          "autoExtendDuration": "PT0S",
          "createdDateTime": "2021-09-29T16:52:39.6133896Z",
          "lastModifiedDateTime": "2021-10-29T16:57:20.2101088Z",
          "activatedDateTime": "2021-09-29T16:55:20.2101088Z",
          "endDateTime": "2021-10-29T16:57:20.2101088Z"
        }),
        json!({
          "@odata.type": "#microsoft.graph.resellerDelegatedAdminRelationship",
          "@odata.etag": "W/\"JyIwMzAwZTM0ZS0wMDAwLTAyMDAtMDAwMC02MTRjZjI1YzAwMDAiJw==\"",
          "id": "4b227261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836",
          "displayName": "Fabrikam admin relationship",
          "duration": "P180D",
          "customer": {"tenantId": "52eaad04-13a2-4a2f-9ce8-93a294fadf36", "displayName": "Fabrikam Inc."},
          "accessDetails": {"unifiedRoles": [
              {"roleDefinitionId": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"},
              {"roleDefinitionId": "e8611ab8-c189-46e8-94e1-60213ab1f814"},
              {"roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1"},
              {"roleDefinitionId": "729827e3-9c14-49f7-bb1b-9608f156bbb8"},
              {"roleDefinitionId": "4d6ac14f-3453-41d0-bef9-a3e0c569773a"},
              {"roleDefinitionId": "f023fd81-a637-4b56-95fd-791ac0226033"},
              {"roleDefinitionId": "9360feb5-f418-4baa-8175-e2a00bac4301"},
              {"roleDefinitionId": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"},
              {"roleDefinitionId": "f2ef992c-3afb-46b9-b7cf-a126ee74c451"}]},
          "status": "approvalPending",
          "autoExtendDuration": "PT0S",
          "createdDateTime": "2022-02-10T11:24:42.3148266Z",
          "lastModifiedDateTime": "2022-02-10T11:26:44.9941884Z",
          "activatedDateTime": null,
          "endDateTime": null,
          "isPartnerConsentPending": true,
          "indirectProviderTenantId": "60ea59db-a506-485e-94c5-d115f369e239"
        }),
    ]
}

/// The partner tenant's registration of the partner app (the test
/// certificate; the permission to list GDAP relationships).
pub fn partner_reg() -> Registration {
    let mut r = Registration::new(PARTNER, PARTNER_CLIENT, "app.pem");
    r.roles = vec!["DelegatedAdminRelationship.Read.All".into()];
    r
}

/// Adds the account `name` of `tenant` without an app of its own.
pub fn add_partner_account(s: &Sandbox, name: &str, tenant: &str) {
    s.json(&[
        "accounts",
        "add",
        name,
        "--source",
        &format!("graph:{tenant}"),
    ]);
}

/// `nfa partner set` of the partner app with `credential` (its flags).
pub fn partner_args<'a>(credential: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "partner",
        "set",
        "--tenant-id",
        PARTNER,
        "--client-id",
        PARTNER_CLIENT,
    ];
    args.extend_from_slice(credential);
    args
}

/// A sandbox whose partner app is set to the test certificate (partner
/// tenant [`PARTNER`], app [`PARTNER_CLIENT`]).
pub fn partner_sandbox(t: &Tenant) -> Sandbox {
    let s = t.sandbox();
    let cert = cert_file(&s, "app.pem", 0o644);
    let key = cert_file(&s, "app.key", 0o600);
    s.json(&partner_args(&[
        "--certificate-file",
        &cert,
        "--certificate-key-file",
        &key,
    ]));
    s
}
