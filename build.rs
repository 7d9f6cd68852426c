//! Tells the test suite whether a PostgreSQL server is at hand: with
//! `NFA_TEST_POSTGRES` set (a connection URL), `tests/cli_postgres.rs`
//! runs the whole integration suite again on PostgreSQL.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(nfa_pg_tests)");
    println!("cargo::rerun-if-env-changed=NFA_TEST_POSTGRES");
    if std::env::var_os("NFA_TEST_POSTGRES").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=nfa_pg_tests");
    }
}
