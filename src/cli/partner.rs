//! `nfa partner set | show | test`: the partner's own multi-tenant app.

use super::Env;
use crate::domain::account::CredentialFields;
use crate::domain::role::Action;
use crate::error::Outcome;
use crate::ops::partner;
use anyhow::{Context, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Set the partner app (ids, paths and variable names are stored,
    /// never a secret)
    Set(SetArgs),
    /// The partner app
    Show,
    /// Sign in to the partner tenant and read its GDAP relationships;
    /// exit 1 with the cause
    Test,
}

#[derive(Debug, clap::Args)]
struct SetArgs {
    /// The partner tenant (where the app is registered)
    #[arg(long, value_name = "PARTNER_TENANT")]
    tenant_id: String,
    /// The application (client) id of the multi-tenant app
    #[arg(long, value_name = "ID")]
    client_id: String,
    /// The file (mode 600) that holds a client secret
    #[arg(long, value_name = "PATH", group = "credential")]
    client_secret_file: Option<String>,
    /// The environment variable that holds a client secret
    #[arg(long, value_name = "VAR", group = "credential")]
    client_secret_env: Option<String>,
    /// The PEM certificate (RSA) uploaded to the app; may hold the key too
    #[arg(long, value_name = "PEM", group = "credential")]
    certificate_file: Option<String>,
    /// The PEM private key of the certificate (mode 600; PKCS#8 or PKCS#1)
    #[arg(long, value_name = "KEY", requires = "certificate_file")]
    certificate_key_file: Option<String>,
}

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    match args.cmd {
        Cmd::Set(a) => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            let fields = CredentialFields {
                client_secret_env: a.client_secret_env.as_deref(),
                client_secret_file: a.client_secret_file.as_deref(),
                certificate_file: a.certificate_file.as_deref(),
                certificate_key_file: a.certificate_key_file.as_deref(),
                ..Default::default()
            };
            let p = partner::partner_from(&a.tenant_id, &a.client_id, &fields, &cwd)?;
            let store = env.store_for(Action::SetPartner)?;
            env.out.one(&partner::set(&store, env.clock.now(), &p)?)?;
        }
        Cmd::Show => {
            let p = partner::get(&env.store()?)?;
            env.out.one(&partner::PartnerView::new(&p))?;
        }
        Cmd::Test => {
            let store = env.store()?;
            let cancel = crate::process::interrupt_flag()?;
            let report = partner::test(&store, &cancel);
            if cancel.is_cancelled() {
                return Ok(Outcome::Interrupted);
            }
            env.out.one(&report?)?;
        }
    }
    Ok(Outcome::Success)
}
