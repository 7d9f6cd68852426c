//! Partner mode through the real binary against the mock tenant: the
//! partner app with certificate credentials, customers found through GDAP,
//! and what the relationships and the granted permissions say in a check.

use super::mock_partner::*;
use super::mock_tenant::*;
use super::*;
use serde_json::json;
use std::sync::atomic::Ordering;

fn set_args<'a>(cert: &'a str, key: &'a str) -> Vec<&'a str> {
    partner_args(&["--certificate-file", cert, "--certificate-key-file", key])
}

fn chmod(path: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The text field `key` of every item of a JSON list.
fn strings<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.items()
        .iter()
        .map(|i| i[key].as_str().unwrap_or_else(|| panic!("{key} of {i}")))
        .collect()
}

/// The task of `kind` in a refresh's result.
fn task_of(refresh: &Value, kind: &str) -> Value {
    refresh["tasks"]
        .items()
        .iter()
        .find(|t| t["kind"] == kind)
        .unwrap_or_else(|| panic!("a {kind} task in {refresh:#}"))
        .clone()
}

/// Asserts that no line of the test keys is in `text`.
fn no_key_in(text: &str, what: &str) {
    for name in ["app.key", "other.key"] {
        for line in key_lines(name) {
            assert!(!text.contains(&line), "{what} holds a line of {name}");
        }
    }
}

#[test]
fn partner_set_keeps_paths_only_and_checks_certificate_and_key() {
    let t = Tenant::new();
    let s = t.sandbox();
    let cert = cert_file(&s, "app.pem", 0o644);
    let key = cert_file(&s, "app.key", 0o644);
    s.fails(
        &["partner", "show"],
        &["no partner app is set", "nfa partner set"],
    );
    s.fails(
        &set_args(&cert, &key),
        &[
            "certificate key file",
            "app.key",
            "readable by group or others",
            "chmod 600",
        ],
    );
    chmod(&key, 0o600);
    let other_key = cert_file(&s, "other.key", 0o600);
    s.fails(
        &set_args(&cert, &other_key),
        &["other.key", "is not the key of the certificate"],
    );
    let encrypted = cert_file(&s, "encrypted.key", 0o600);
    s.fails(&set_args(&cert, &encrypted), &["encrypted.key", "password"]);
    let expired = cert_file(&s, "expired.pem", 0o644);
    let expired_key = cert_file(&s, "expired.key", 0o600);
    s.fails(
        &set_args(&expired, &expired_key),
        &["expired.pem", "expired on 2021-01-01"],
    );
    std::fs::write(
        s.path("bad.pem"),
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let bad = s.path("bad.pem").display().to_string();
    let err = s.fails(&set_args(&bad, &key), &["certificate file", "bad.pem"]);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    std::fs::write(s.path("empty.key"), "no key here\n").unwrap();
    let empty = s.path("empty.key").display().to_string();
    chmod(&empty, 0o600);
    s.fails(
        &set_args(&cert, &empty),
        &["empty.key", "no PEM private key"],
    );
    s.fails(&partner_args(&[]), &["needs a credential"]);
    assert_eq!(
        s.run(&["partner", "show"]).status.code(),
        Some(1),
        "nothing was set"
    );

    let shown = s.json(&set_args(&cert, &key));
    assert_eq!(shown["tenant_id"], PARTNER);
    assert_eq!(shown["client_id"], PARTNER_CLIENT);
    assert_eq!(shown["credential"], "certificate");
    assert_eq!(shown["certificate_file"], cert.as_str());
    assert_eq!(shown["certificate_key_file"], key.as_str());
    assert_eq!(shown["client_secret_env"], Value::Null);
    assert_eq!(s.json(&["partner", "show"]), shown);

    // A PKCS#1 key, and a file holding both (then private as a key file).
    let pkcs1 = cert_file(&s, "app-pkcs1.key", 0o600);
    s.json(&set_args(&cert, &pkcs1));
    let combined = cert_file(&s, "combined.pem", 0o644);
    let both = partner_args(&["--certificate-file", &combined]);
    s.fails(&both, &["combined.pem", "readable by group or others"]);
    chmod(&combined, 0o600);
    assert_eq!(s.json(&both)["certificate_key_file"], Value::Null);
    // A secret instead.
    let secret = s.json(&partner_args(&["--client-secret-env", "NFA_TEST_SECRET"]));
    assert_eq!(secret["credential"], "client_secret");
    assert_eq!(secret["certificate_file"], Value::Null);
    let stored = s.stored_text();
    assert!(!stored.contains(SECRET));
    no_key_in(&stored, "the database");
}

#[test]
fn partner_test_signs_in_with_an_assertion_the_token_endpoint_verifies() {
    let mut t = Tenant::new();
    let tokens = t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    let lists = t.gdap(&[documented_items()], 1);
    let s = partner_sandbox(&t);
    let out = s.run(&["-o", "json", "partner", "test"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["signed_in"], true);
    assert_eq!(r["relationships"], 3);
    assert_eq!(tokens.load(Ordering::SeqCst), 1);
    lists.iter().for_each(mockito::Mock::assert);
    no_key_in(&format!("{}{}", stdout(&out), stderr(&out)), "the output");

    // A certificate that was never uploaded to the app (a pair of its
    // own): the endpoint finds no such key.
    let cert = cert_file(&s, "other.pem", 0o644);
    let key = cert_file(&s, "other.key", 0o600);
    s.json(&set_args(&cert, &key));
    s.fails(
        &["partner", "test"],
        &[
            "could not sign in",
            "AADSTS700027",
            "upload this certificate",
        ],
    );
}

#[test]
fn an_assertion_outside_the_services_clock_is_refused_with_the_cause() {
    let mut t = Tenant::new();
    let mut reg = partner_reg();
    reg.skew_secs = 20 * 60; // the service's clock 20 minutes ahead
    t.assertion_tokens(&reg, GRAPH_SCOPE);
    let s = partner_sandbox(&t);
    s.fails(
        &["partner", "test"],
        &["AADSTS700024", "check this machine's clock"],
    );
}

/// A page of customers, one per status Graph documents (and one it may
/// add later), after Microsoft's example page.
fn every_status() -> Vec<Value> {
    let statuses = [
        ("created", None),
        ("approvalPending", None),
        ("approved", None),
        ("activating", None),
        ("expiring", Some("2026-12-20T00:00:00Z")),
        ("expired", Some("2026-11-02T10:00:00Z")),
        ("terminationRequested", Some("2027-01-01T00:00:00Z")),
        ("terminating", Some("2027-01-01T00:00:00Z")),
        ("somethingNew", None),
    ];
    statuses
        .iter()
        .enumerate()
        .map(|(i, (status, end))| {
            relationship(
                &format!("00000000-0000-4000-8000-00000000000{i}"),
                &format!("Customer {status}"),
                status,
                *end,
                "PT0S",
                &["62e90394-69f5-4237-9190-012177145e10"],
            )
        })
        .collect()
}

fn northwind() -> Value {
    relationship(
        "11111111-0000-4000-8000-000000000001",
        "Northwind Traders",
        "active",
        Some("2027-06-01T00:00:00Z"),
        "P180D",
        &[
            "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
            "fe930be7-5e62-47db-91af-98c3a49a38b1",
        ],
    )
}

#[test]
fn discover_reads_every_page_and_lists_one_item_per_customer() {
    let mut t = Tenant::new();
    t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    let lists = t.gdap(&[documented_items(), every_status(), vec![northwind()]], 3);
    let s = partner_sandbox(&t);
    // An account already there for one customer (by its source).
    s.json(&[
        "accounts",
        "add",
        "northwind",
        "--source",
        "graph:11111111-0000-4000-8000-000000000001",
    ]);
    let found = s.json(&["accounts", "discover"]);
    let items = found.items();
    assert_eq!(items.len(), 2 + 9 + 1, "{found:#}");
    let by = |tenant: &str| {
        items
            .iter()
            .find(|i| i["tenant_id"] == tenant)
            .unwrap_or_else(|| panic!("{tenant} in {found:#}"))
            .clone()
    };
    // Microsoft's example: two relationships of one customer (the active one
    // counts) and a terminated one.
    let contoso = by(CUSTOMER);
    assert_eq!(contoso["display_name"], "Contoso Inc");
    assert_eq!(contoso["relationship"], "active");
    assert_eq!(contoso["ends_at"], "2024-02-10T11:24:42.314Z");
    assert_eq!(contoso["auto_extend"], true);
    assert_eq!(
        contoso["roles"],
        json!(["dd4db9a0-cc4a-4213-9f9f-70242232d97e"]),
        "an unknown role id is shown as the id"
    );
    assert_eq!(contoso["account"], Value::Null);
    let sub = by("4b827261-d21f-4aa9-b7db-7fa1f56fb163");
    assert_eq!(sub["relationship"], "terminated");
    assert_eq!(sub["auto_extend"], false);
    assert_eq!(
        sub["roles"],
        json!(["Exchange Administrator", "Intune Administrator"])
    );
    let pending = by("00000000-0000-4000-8000-000000000001");
    assert_eq!(pending["relationship"], "approvalPending");
    assert_eq!(pending["ends_at"], Value::Null);
    assert_eq!(pending["roles"], json!(["Global Administrator"]));
    assert_eq!(
        by("00000000-0000-4000-8000-000000000008")["relationship"],
        "somethingNew"
    );
    let nw = by("11111111-0000-4000-8000-000000000001");
    assert_eq!(nw["account"], 1);
    assert_eq!(nw["roles"], json!(["Global Reader", "User Administrator"]));
    let statuses: Vec<&str> = items
        .iter()
        .map(|i| i["relationship"].as_str().unwrap())
        .collect();
    for s in [
        "created",
        "approvalPending",
        "approved",
        "activating",
        "active",
        "expiring",
        "expired",
        "terminationRequested",
        "terminating",
        "terminated",
    ] {
        assert!(statuses.contains(&s), "{s} in {statuses:?}");
    }

    let some = s.json(&[
        "accounts", "discover", "--status", "expiring", "--status", "EXPIRED",
    ]);
    let names = strings(&some, "display_name");
    assert_eq!(names, ["Customer expiring", "Customer expired"]);
    s.fails(
        &["accounts", "discover", "--status", "bogus"],
        &[
            "unknown GDAP relationship status 'bogus'",
            "approvalPending",
        ],
    );
    let csv = stdout(&s.run(&["-o", "csv", "accounts", "discover", "--status", "active"]));
    assert!(
        csv.starts_with("tenant_id,display_name,relationship,ends_at,auto_extend,roles,account\n"),
        "{csv}"
    );
    lists.iter().for_each(mockito::Mock::assert);
}

#[test]
fn discover_needs_the_permission_and_names_it() {
    let mut t = Tenant::new();
    t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    let m = t.gdap_denied();
    let s = partner_sandbox(&t);
    s.fails(
        &["accounts", "discover"],
        &[
            "DelegatedAdminRelationship.Read.All",
            "admin consent",
            PARTNER,
        ],
    );
    m.assert();
    let empty = Tenant::new();
    empty
        .sandbox()
        .fails(&["accounts", "discover"], &["no partner app is set"]);
}

/// A sandbox whose partner tenant lists `extra` after the usual pages.
fn discovering(extra: Vec<Value>) -> (Tenant, Sandbox) {
    let mut t = Tenant::new();
    t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    let mut last = vec![northwind()];
    last.extend(extra);
    t.gdap(&[documented_items(), every_status(), last], 2);
    let s = partner_sandbox(&t);
    (t, s)
}

#[test]
fn discover_import_stops_at_a_taken_name_and_adds_nothing() {
    let (_t, s) = discovering(vec![]);
    // The name is taken by an account of another tenant.
    let fixture = s.fixture("nw.json", &healthy());
    s.add("Northwind Traders", &fixture, &[]);
    let before = s.json(&["accounts", "list"]);
    s.fails(
        &["accounts", "discover", "--import"],
        &[
            "customer 11111111-0000-4000-8000-000000000001 (Northwind Traders)",
            "already exists",
            "nothing was imported",
        ],
    );
    assert_eq!(s.json(&["accounts", "list"]), before, "nothing added");
    s.json(&["accounts", "remove", "Northwind Traders", "--yes"]);
    assert_eq!(
        s.json(&["accounts", "discover", "--import"]).items().len(),
        3
    );
}

#[test]
fn discover_import_stops_at_a_name_breaking_the_rules() {
    let breaking = relationship(
        "22222222-0000-4000-8000-000000000002",
        "1234",
        "active",
        Some("2027-01-01T00:00:00Z"),
        "P180D",
        &[],
    );
    let (_t, s) = discovering(vec![breaking]);
    s.fails(
        &["accounts", "discover", "--import"],
        &[
            "customer 22222222-0000-4000-8000-000000000002 (1234)",
            "all digits",
            "nothing was imported",
        ],
    );
    assert_eq!(s.json(&["accounts", "list"]).items().len(), 0);
    // Listed all the same.
    assert_eq!(s.json(&["accounts", "discover"]).items().len(), 13);
}

#[test]
fn discover_import_adds_partner_accounts_once() {
    let mut t = Tenant::new();
    t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    t.gdap(&[documented_items(), every_status(), vec![northwind()]], 3);
    let s = partner_sandbox(&t);
    let added = s.json(&["accounts", "discover", "--import"]);
    let names = strings(&added, "name");
    assert_eq!(
        names,
        ["Contoso Inc", "Customer expiring", "Northwind Traders"],
        "active and expiring customers only"
    );
    let contoso = s.json(&["accounts", "show", "Contoso Inc"]);
    assert_eq!(contoso["source"], format!("graph:{CUSTOMER}").as_str());
    assert_eq!(contoso["tenant_id"], CUSTOMER);
    assert_eq!(contoso["app"], "partner");
    assert_eq!(contoso["client_id"], Value::Null);
    let again = s.json(&["accounts", "discover", "--import"]);
    assert_eq!(again.items().len(), 0, "all are accounts now");
    let found = s.json(&["accounts", "discover", "--status", "active"]);
    assert!(
        found.items().iter().all(|i| i["account"].is_i64()),
        "{found:#}"
    );
}

#[test]
fn two_imports_at_once_add_each_customer_once() {
    let mut t = Tenant::new();
    t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    let _lists = t.gdap_read(
        &[documented_items(), every_status(), vec![northwind()]],
        None,
    );
    let s = partner_sandbox(&t);
    let runs: Vec<_> = (0..2)
        .map(|_| s.spawn(&["accounts", "discover", "--import"]))
        .collect();
    let mut added = 0;
    for c in runs {
        let out = c.wait_with_output().unwrap();
        match out.status.code() {
            Some(0) => {
                added += serde_json::from_slice::<Value>(&out.stdout)
                    .unwrap()
                    .items()
                    .len();
            }
            Some(1) => {
                let err = stderr(&out);
                assert!(
                    err.contains("already exists") && err.contains("nothing was imported"),
                    "{err}"
                );
            }
            other => panic!("{other:?}: {}", stderr(&out)),
        }
    }
    let accounts = s.json(&["accounts", "list"]);
    let mut names = strings(&accounts, "name");
    names.sort_unstable();
    assert_eq!(
        names,
        ["Contoso Inc", "Customer expiring", "Northwind Traders"]
    );
    assert_eq!(added, 3, "the accounts printed are the accounts added");
}

/// A customer signed in to with the partner app: its tenant's tokens
/// (certificate sign-ins of the partner app) and its directory, and the
/// partner tenant's GDAP list holding `relationships`.
fn partner_customer(relationships: Vec<Value>, roles: &[&str]) -> (Tenant, Sandbox) {
    let mut t = Tenant::new();
    t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    t.gdap(&[relationships], 1);
    t.partner_signs_in_to(CUSTOMER, roles);
    t.organization().subscriptions();
    t.full(&[(0..3).map(user).collect()], &[group(1)], "d1");
    let s = partner_sandbox(&t);
    add_partner_account(&s, "contoso", CUSTOMER);
    (t, s)
}

#[test]
fn an_account_without_an_app_signs_in_with_the_partner_app_and_gdap_active() {
    let (_t, s) = partner_customer(documented_items(), &ALL_ROLES);
    let r = s.json(&["refresh", "contoso"]);
    assert_eq!(r["decision"], "new");
    assert!(
        r["tasks"].items().iter().all(|x| x["status"] == "COMPLETE"),
        "{r:#}"
    );
    assert_eq!(r["status_after"], "ACTIVE");
    let a = s.json(&["accounts", "show", "contoso"]);
    assert_eq!(a["app"], "partner");
    assert_eq!(a["ad_users"], 3);
    assert_eq!(a["gdap_status"], "active");
    assert_eq!(a["gdap_ends_at"], "2024-02-10T11:24:42.314Z");
    let logs = stdout(&s.run(&["-o", "json", "logs", "--limit", "0"]));
    let stored = s.stored_text();
    for (text, what) in [(&logs, "the log"), (&stored, "the database")] {
        no_key_in(text, what);
        assert!(!text.contains("client_assertion"), "{what}");
        assert!(!text.contains("mock-signature"), "{what} holds a token");
    }
}

#[test]
fn an_expired_gdap_relationship_disconnects_the_account_with_its_date() {
    let rels = vec![relationship(
        CUSTOMER,
        "Contoso Inc",
        "expired",
        Some("2026-11-02T10:00:00Z"),
        "PT0S",
        &["62e90394-69f5-4237-9190-012177145e10"],
    )];
    let (_t, s) = partner_customer(rels, &ALL_ROLES);
    let r = s.json_code(3, &["refresh", "contoso"]);
    let check = task_of(&r, "AzureAdminAndO365Status");
    assert_eq!(check["status"], "ERROR");
    assert!(
        check["error"]
            .as_str()
            .unwrap()
            .contains("GDAP relationship expired on 2026-11-02"),
        "{check:#}"
    );
    assert_eq!(r["status_after"], "DISCONNECTED");
    let a = s.json(&["accounts", "show", "contoso"]);
    assert_eq!(a["gdap_status"], "expired");
    assert_eq!(a["last_check"]["office365"]["ok"], false);
    assert_eq!(a["last_check"]["azure"]["ok"], true);
}

#[test]
fn a_relationship_ending_in_20_days_without_auto_extend_is_warned_of() {
    let rels = vec![relationship(
        CUSTOMER,
        "Contoso Inc",
        "active",
        Some("2026-12-21T08:00:00Z"),
        "PT0S",
        &["62e90394-69f5-4237-9190-012177145e10"],
    )];
    let (_t, mut s) = partner_customer(rels, &ALL_ROLES);
    s.at("2026-12-01T08:00:00Z");
    let r = s.json(&["refresh", "contoso"]);
    assert!(
        r["tasks"].items().iter().all(|x| x["status"] == "COMPLETE"),
        "{r:#}"
    );
    let warns = s.json(&["logs", "--level", "warn"]);
    let lines = strings(&warns, "message");
    assert!(
        lines.iter().any(|l| l.contains("GDAP relationship")
            && l.contains("2026-12-21")
            && l.contains("contoso")),
        "{lines:?}"
    );
    let sum = s.json(&["summary"]);
    assert_eq!(sum["gdap_ending"][0]["account"], "contoso", "{sum:#}");
    assert_eq!(sum["gdap_ending"][0]["ends_at"], "2026-12-21T08:00:00Z");
    let table = stdout(&s.run(&["summary"]));
    assert!(
        table.contains("GDAP relationships ending within 30 days: 1"),
        "{table}"
    );
}

#[test]
fn an_auto_extending_relationship_is_not_warned_of() {
    let rels = vec![relationship(
        CUSTOMER,
        "Contoso Inc",
        "active",
        Some("2026-12-21T08:00:00Z"),
        "P180D",
        &[],
    )];
    let (_t, mut s) = partner_customer(rels, &ALL_ROLES);
    s.at("2026-12-01T08:00:00Z");
    s.json(&["refresh", "contoso"]);
    assert_eq!(s.json(&["logs", "--level", "warn"]).items().len(), 0);
}

#[test]
fn a_missing_application_permission_is_named_in_the_tasks_error() {
    let mut t = Tenant::new();
    t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    t.gdap(&[documented_items()], 1);
    let roles = ["User.Read.All", "Organization.Read.All"];
    t.partner_signs_in_to(CUSTOMER, &roles);
    t.organization().subscriptions();
    t.delta(
        "users",
        mockito::Matcher::UrlEncoded("$select".into(), USERS_SELECT.into()),
        &[vec![user(1)]],
        "d1",
    );
    let denied = t
        .graph_get("/v1.0/groups/delta")
        .match_query(mockito::Matcher::Any)
        .with_status(403)
        .with_header("content-type", "application/json")
        .with_body(DENIED)
        .create();
    let s = partner_sandbox(&t);
    add_partner_account(&s, "contoso", CUSTOMER);
    let r = s.json_code(3, &["refresh", "contoso"]);
    let sync = task_of(&r, "UpdateAdCache");
    let error = sync["error"].as_str().unwrap();
    assert!(error.contains("Group.Read.All"), "{error}");
    assert!(error.contains("grant admin consent"), "{error}");
    assert!(
        !error.contains("User.Read.All"),
        "only the missing one: {error}"
    );
    denied.assert();
}

#[test]
fn an_accounts_own_app_wins_and_reads_no_gdap() {
    let mut t = healthy_tenant(2);
    t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    let lists = t.gdap(&[documented_items()], 0);
    let s = partner_sandbox(&t);
    add_live(&s);
    let r = s.json(&["refresh", "c"]);
    assert!(
        r["tasks"].items().iter().all(|x| x["status"] == "COMPLETE"),
        "{r:#}"
    );
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(a["app"], "own");
    assert_eq!(a["gdap_status"], Value::Null);
    lists.iter().for_each(mockito::Mock::assert);
}

#[test]
fn an_account_signs_in_with_a_certificate_of_its_own() {
    let mut t = Tenant::new();
    let own = Registration::new(TENANT, CLIENT, "app.pem");
    let graph = t.assertion_tokens(&own, GRAPH_SCOPE);
    let arm = t.assertion_tokens(&own, ARM_SCOPE);
    t.expect_tokens_of(TENANT, &ALL_ROLES);
    t.organization().subscription("Enabled");
    t.full(&[vec![user(1)]], &[group(1)], "d1");
    let s = t.sandbox();
    let cert = cert_file(&s, "app.pem", 0o644);
    let key = cert_file(&s, "app.key", 0o600);
    let args = [
        "accounts",
        "add",
        "c",
        "--source",
        &format!("graph:{TENANT}"),
        "--client-id",
        CLIENT,
        "--certificate-file",
        "app.pem",
        "--certificate-key-file",
        "app.key",
        "--subscription",
        SUB,
    ];
    chmod(&key, 0o640);
    s.fails(
        &args,
        &["--certificate-key-file", "readable by group or others"],
    );
    // The error names the file at fault's flag: here the certificate's.
    cert_file(&s, "expired.pem", 0o644);
    cert_file(&s, "expired.key", 0o600);
    let expired: Vec<&str> = args
        .iter()
        .map(|a| match *a {
            "app.pem" => "expired.pem",
            "app.key" => "expired.key",
            a => a,
        })
        .collect();
    let err = s.fails(&expired, &["expired on 2021-01-01"]);
    assert!(err.starts_with("error: --certificate-file:"), "{err}");
    chmod(&key, 0o600);
    let added = s.json(&args);
    assert_eq!(added["name"], "c");
    let a = s.json(&["accounts", "show", "c"]);
    assert_eq!(a["certificate_file"], cert.as_str());
    assert_eq!(a["certificate_key_file"], key.as_str());
    assert_eq!(a["app"], "own");
    let r = s.json(&["refresh", "c"]);
    assert!(
        r["tasks"].items().iter().all(|x| x["status"] == "COMPLETE"),
        "{r:#}"
    );
    assert_eq!(
        (graph.load(Ordering::SeqCst), arm.load(Ordering::SeqCst)),
        (1, 1),
        "one token per tenant and resource in a run"
    );
    // Import takes the same keys.
    std::fs::write(
        s.path("a.csv"),
        format!("name,source,client_id,certificate_file,certificate_key_file\nd,graph:{TENANT},{CLIENT},app.pem,app.key\n"),
    )
    .unwrap();
    let imported = s.json(&["accounts", "import", "a.csv"]);
    assert_eq!(imported[0]["name"], "d");
    std::fs::write(
        s.path("b.csv"),
        format!("name,source,client_id,certificate_key_file\ne,graph:{TENANT},{CLIENT},app.key\n"),
    )
    .unwrap();
    s.fails(
        &["accounts", "import", "b.csv"],
        &["row 1", "certificate_key_file", "needs certificate_file"],
    );
    no_key_in(&s.stored_text(), "the database");
}

#[test]
fn two_customers_in_one_run_read_the_gdap_list_once() {
    let mut t = Tenant::new();
    let partner_tokens = t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    let second = "0f0f0f0f-0000-4000-8000-000000000002";
    let mut rels = documented_items();
    rels.push(relationship(
        second,
        "Second Co",
        "active",
        Some("2027-06-01T00:00:00Z"),
        "P180D",
        &[],
    ));
    let lists = t.gdap(&[rels], 1);
    for tenant in [CUSTOMER, second] {
        t.partner_signs_in_to(tenant, &ALL_ROLES);
        t.organization().subscriptions();
        t.full(&[vec![user(1)]], &[group(1)], "d1");
    }
    let s = partner_sandbox(&t);
    add_partner_account(&s, "one", CUSTOMER);
    add_partner_account(&s, "two", second);
    let r = s.json(&["refresh", "one", "two", "--jobs", "2"]);
    assert!(
        r.items().iter().all(|a| a["status_after"] == "ACTIVE"),
        "{r:#}"
    );
    assert_eq!(
        partner_tokens.load(Ordering::SeqCst),
        1,
        "the partner tenant's token once"
    );
    lists.iter().for_each(mockito::Mock::assert);
}

#[test]
fn a_live_account_without_an_app_needs_the_partner_app() {
    let t = Tenant::new();
    let s = t.sandbox();
    let out = s.run(&[
        "accounts",
        "add",
        "c",
        "--source",
        &format!("graph:{CUSTOMER}"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("warning: c has no app of its own and no partner app is set"),
        "{}",
        stderr(&out)
    );
    let r = s.json_code(3, &["refresh", "c"]);
    let error = r["tasks"][0]["error"].as_str().unwrap();
    assert!(error.contains("no partner app is set"), "{error}");
    assert!(error.contains("nfa partner set"), "{error}");
}

#[test]
fn a_gdap_list_that_cannot_be_read_breaks_microsoft_365_with_its_cause() {
    let mut t = Tenant::new();
    t.assertion_tokens(&partner_reg(), GRAPH_SCOPE);
    let denied = t.gdap_denied();
    t.partner_signs_in_to(CUSTOMER, &ALL_ROLES);
    t.organization().subscriptions();
    t.full(&[vec![user(1)]], &[group(1)], "d1");
    let s = partner_sandbox(&t);
    add_partner_account(&s, "contoso", CUSTOMER);
    let r = s.json_code(3, &["refresh", "contoso"]);
    let check = task_of(&r, "AzureAdminAndO365Status");
    let error = check["error"].as_str().unwrap();
    assert!(
        error.contains("Microsoft 365 (office365) connection failed"),
        "{error}"
    );
    assert!(
        error.contains("DelegatedAdminRelationship.Read.All"),
        "{error}"
    );
    assert_eq!(task_of(&r, "UpdateAdCache")["status"], "COMPLETE");
    assert_eq!(r["status_after"], "DISCONNECTED");
    let a = s.json(&["accounts", "show", "contoso"]);
    assert_eq!(a["gdap_status"], Value::Null, "nothing read, nothing said");
    denied.assert();
}

#[test]
fn a_customer_without_any_relationship_is_disconnected_and_says_none() {
    // The partner tenant lists only another customer's relationship.
    let (_t, s) = partner_customer(vec![northwind()], &ALL_ROLES);
    let r = s.json_code(3, &["refresh", "contoso"]);
    let error = task_of(&r, "AzureAdminAndO365Status")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains("no GDAP relationship with this customer"),
        "{error}"
    );
    assert_eq!(r["status_after"], "DISCONNECTED");
    let a = s.json(&["accounts", "show", "contoso"]);
    assert_eq!(a["gdap_status"], "none");
    assert_eq!(a["gdap_ends_at"], Value::Null);
}
