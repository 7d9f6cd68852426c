//! A mock of a customer's tenant for the live source: one local server
//! (mockito, 127.0.0.1) standing for the Microsoft identity platform,
//! Microsoft Graph and Azure Resource Manager, answering as Microsoft's
//! documented examples do.

use super::*;
use mockito::{Matcher, Mock, Server, ServerGuard};
use serde_json::json;

pub const TENANT: &str = "contoso.onmicrosoft.com";
pub const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
pub const SECRET: &str = "Zq8~s3cret.Value-Never-Shown_42";
pub const GRAPH_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.graph-token-payload.sig1";
pub const ARM_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.arm-token-payload.sig2";
pub const SUB: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";
pub const USERS_SELECT: &str = "id,displayName,userPrincipalName,accountEnabled";

/// The mock tenant: one server standing for all three services.
pub struct Tenant {
    pub server: ServerGuard,
    pub mocks: Vec<Mock>,
    /// The bearer tokens the Graph and ARM mocks expect (the tenant's).
    pub graph_token: String,
    pub arm_token: String,
    /// What `nfa` asks Graph through: keeps connections open, answers
    /// `$batch` from the mocks.
    pub front: front::Front,
}

impl Tenant {
    pub fn new() -> Tenant {
        let server = Server::new();
        let front = front::Front::to(&server.url());
        Tenant {
            server,
            front,
            mocks: vec![],
            graph_token: GRAPH_TOKEN.to_string(),
            arm_token: ARM_TOKEN.to_string(),
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A sandbox whose `nfa` talks to this tenant, with the secret in
    /// `NFA_TEST_SECRET`.
    pub fn sandbox(&self) -> Sandbox {
        let mut s = Sandbox::new();
        for var in ["NFA_LOGIN_URL", "NFA_ARM_URL"] {
            s.env.push((var.to_string(), self.url()));
        }
        s.env
            .push(("NFA_GRAPH_URL".to_string(), self.front.url.clone()));
        s.env
            .push(("NFA_TEST_SECRET".to_string(), SECRET.to_string()));
        s
    }

    pub fn token_path() -> String {
        format!("/{TENANT}/oauth2/v2.0/token")
    }

    /// The token endpoint hands out a token per scope to the right secret.
    pub fn tokens(&mut self) -> &mut Self {
        // Graph's lifetime as the v1.0 endpoint writes it (a string), ARM's
        // as v2.0 does (a number): nfa reads both.
        for (scope, token, expires_in) in [
            (GRAPH_SCOPE, GRAPH_TOKEN, json!("3599")),
            (ARM_SCOPE, ARM_TOKEN, json!(3599)),
        ] {
            let m = self
                .server
                .mock("POST", Self::token_path().as_str())
                .match_body(Matcher::AllOf(vec![
                    Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
                    Matcher::UrlEncoded("client_id".into(), CLIENT.into()),
                    Matcher::UrlEncoded("client_secret".into(), SECRET.into()),
                    Matcher::UrlEncoded("scope".into(), scope.into()),
                ]))
                .with_header("content-type", "application/json; charset=utf-8")
                .with_body(
                    json!({"token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": 3599, "access_token": token})
                        .to_string(),
                )
                .create();
            self.mocks.push(m);
        }
        self
    }

    /// The token endpoint refuses with an AADSTS error body.
    pub fn token_error(
        &mut self,
        status: usize,
        error: &str,
        code: u64,
        description: &str,
    ) -> &mut Self {
        let m = self
            .server
            .mock("POST", Self::token_path().as_str())
            .with_status(status)
            .with_header("content-type", "application/json; charset=utf-8")
            .with_body(
                json!({
                    "error": error,
                    "error_description": format!("AADSTS{code}: {description} Trace ID: 0000 Correlation ID: 1111 Timestamp: 2026-11-30 08:00:00Z"),
                    "error_codes": [code],
                    "timestamp": "2026-11-30 08:00:00Z",
                    "trace_id": "0000",
                    "correlation_id": "1111"
                })
                .to_string(),
            )
            .create();
        self.mocks.push(m);
        self
    }

    pub fn graph_get(&mut self, path: &str) -> Mock {
        self.server.mock("GET", path).match_header(
            "authorization",
            format!("Bearer {}", self.graph_token).as_str(),
        )
    }

    /// `GET /subscriptions` lists one enabled subscription.
    pub fn subscriptions(&mut self) -> &mut Self {
        let m = self
            .server
            .mock("GET", "/subscriptions")
            .match_header(
                "authorization",
                format!("Bearer {}", self.arm_token).as_str(),
            )
            .match_query(Matcher::UrlEncoded(
                "api-version".into(),
                "2022-12-01".into(),
            ))
            .with_header("content-type", "application/json")
            .with_body(
                json!({"value": [{"id": format!("/subscriptions/{SUB}"), "subscriptionId": SUB,
                                  "displayName": "Contoso prod", "state": "Enabled"}],
                       "count": {"type": "Total", "value": 1}})
                .to_string(),
            )
            .create();
        self.mocks.push(m);
        self
    }

    /// `/organization` answers: the Microsoft 365 tenant is there.
    pub fn organization(&mut self) -> &mut Self {
        let m = self
            .graph_get("/v1.0/organization")
            .match_query(Matcher::UrlEncoded("$select".into(), "id".into()))
            .with_header("content-type", "application/json")
            .with_body(
                json!({"@odata.context": format!("{}/v1.0/$metadata#organization", self.url()),
                       "value": [{"id": "84841066-274d-4ec0-a5c1-276be684bdd3", "displayName": "Contoso"}]})
                .to_string(),
            )
            .create();
        self.mocks.push(m);
        self
    }

    /// `GET /subscriptions/{id}` answers with this state.
    pub fn subscription(&mut self, state: &str) -> &mut Self {
        let m = self
            .server
            .mock("GET", format!("/subscriptions/{SUB}").as_str())
            .match_header("authorization", format!("Bearer {}", self.arm_token).as_str())
            .match_query(Matcher::UrlEncoded("api-version".into(), "2022-12-01".into()))
            .with_header("content-type", "application/json")
            .with_body(
                json!({"id": format!("/subscriptions/{SUB}"), "subscriptionId": SUB, "displayName": "Contoso prod",
                       "state": state, "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01"}})
                .to_string(),
            )
            .create();
        self.mocks.push(m);
        self
    }

    /// A run of delta pages for `what` (users or groups): the first page is
    /// asked for with `first` (a query matcher), page i+1 by `$skiptoken`,
    /// the last page ends with a delta link carrying `$deltatoken=next`.
    pub fn delta(
        &mut self,
        what: &str,
        first: Matcher,
        pages: &[Vec<Value>],
        next: &str,
    ) -> &mut Self {
        let path = format!("/v1.0/{what}/delta");
        for (i, page) in pages.iter().enumerate() {
            let query = if i == 0 {
                first.clone()
            } else {
                skiptoken(what, next, i)
            };
            let mut body = json!({
                "@odata.context": format!("{}/v1.0/$metadata#{what}", self.url()),
                "value": page,
            });
            if i + 1 < pages.len() {
                let token = skiptoken_value(what, next, i + 1);
                body["@odata.nextLink"] = json!(format!("{}{path}?$skiptoken={token}", self.url()));
            } else {
                body["@odata.deltaLink"] =
                    json!(format!("{}{path}?$deltatoken={next}", self.url()));
            }
            let m = self
                .graph_get(&path)
                .match_query(query)
                .with_header("content-type", "application/json")
                .with_body(body.to_string())
                .create();
            self.mocks.push(m);
        }
        self
    }

    /// A full sync: users and groups from their first page.
    pub fn full(&mut self, users: &[Vec<Value>], groups: &[Value], next: &str) -> &mut Self {
        self.delta(
            "users",
            Matcher::UrlEncoded("$select".into(), USERS_SELECT.into()),
            users,
            next,
        );
        self.delta(
            "groups",
            Matcher::UrlEncoded("$select".into(), "id,displayName".into()),
            &[groups.to_vec()],
            next,
        )
    }

    /// An incremental sync from the delta links of `from`.
    pub fn changes(&mut self, from: &str, users: Vec<Value>, groups: Vec<Value>, next: &str) {
        self.delta(
            "users",
            Matcher::UrlEncoded("$deltatoken".into(), from.into()),
            &[users],
            next,
        );
        self.delta(
            "groups",
            Matcher::UrlEncoded("$deltatoken".into(), from.into()),
            &[groups],
            next,
        );
    }
}

pub fn skiptoken_value(what: &str, run: &str, page: usize) -> String {
    format!("{what}-{run}-p{page}")
}

pub fn skiptoken(what: &str, run: &str, page: usize) -> Matcher {
    Matcher::UrlEncoded("$skiptoken".into(), skiptoken_value(what, run, page))
}

pub fn user(i: usize) -> Value {
    json!({"id": format!("u{i}"), "displayName": format!("User {i}"),
           "userPrincipalName": format!("user{i}@contoso.com"), "accountEnabled": true})
}

pub fn group(i: usize) -> Value {
    json!({"id": format!("g{i}"), "displayName": format!("Group {i}")})
}

/// Adds the live account `c` (secret in `NFA_TEST_SECRET`).
pub fn add_live(s: &Sandbox) {
    add_live_named(s, "c");
}

/// Adds a live account of the tenant named `name`.
pub fn add_live_named(s: &Sandbox, name: &str) {
    s.json(&[
        "accounts",
        "add",
        name,
        "--source",
        &format!("graph:{TENANT}"),
        "--client-id",
        CLIENT,
        "--client-secret-env",
        "NFA_TEST_SECRET",
        "--subscription",
        SUB,
    ]);
}

/// A healthy tenant with `users` users in one page and two groups.
pub fn healthy_tenant(users: usize) -> Tenant {
    let mut t = Tenant::new();
    t.tokens().organization().subscription("Enabled");
    t.full(
        &[(0..users).map(user).collect()],
        &[group(1), group(2)],
        "d1",
    );
    t
}

/// The cached users of account 1, straight from the database.
pub fn cached_users(s: &Sandbox) -> Vec<(String, Option<String>, bool)> {
    s.sql_rows("SELECT id, display_name, enabled FROM ad_users WHERE account_id = 1 ORDER BY id")
        .into_iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().map(str::to_string),
                r[2].as_i64().unwrap() != 0,
            )
        })
        .collect()
}
