//! `nfa demo`: the main job end to end, on a fresh demo database over
//! fixture tenants that it writes itself (so it works from any directory
//! after `cargo install`). It runs the real commands and narrates them.

use super::{Cli, Env};
use crate::domain::time::format_time;
use crate::error::Outcome;
use anyhow::{Context, Result, bail};
use chrono::TimeDelta;
use clap::Parser;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the demo (default: a new directory under the
    /// system's temporary directory)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Use --dir even if it is not empty, replacing the demo's own files
    /// there (accounts.json, tenants/*.json, nfa.db)
    #[arg(long, requires = "dir")]
    force: bool,
    /// The demo makes a database of its own: `--db` is not offered here
    /// (this shadows the global one in the help; `NFA_DB` or a `--db`
    /// reaches it too, and the demo leaves both alone).
    #[arg(long, hide = true)]
    #[allow(dead_code)]
    db: Option<PathBuf>,
}

/// The fixture tenants the demo writes, by file name.
const TENANTS: [(&str, &str); 4] = [
    (
        "healthy.json",
        include_str!("../../fixtures/tenants/healthy.json"),
    ),
    (
        "slow.json",
        include_str!("../../fixtures/tenants/slow.json"),
    ),
    (
        "o365-token-expired.json",
        include_str!("../../fixtures/tenants/o365-token-expired.json"),
    ),
    (
        "directory-unreachable.json",
        include_str!("../../fixtures/tenants/directory-unreachable.json"),
    ),
];

pub fn run(env: &Env, args: Args) -> Result<Outcome> {
    let dir = match args.dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "nfa-demo-{}-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S"),
            std::process::id()
        )),
    };
    let db = dir.join("nfa.db");
    let non_empty = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
    if non_empty && !args.force {
        bail!(
            "{} is not empty; choose a new or empty --dir, or add --force to replace the demo's files there",
            dir.display()
        );
    }
    if args.force {
        for f in ["nfa.db", "nfa.db-wal", "nfa.db-shm"] {
            match std::fs::remove_file(dir.join(f)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e)
                        .with_context(|| format!("cannot replace {}", dir.join(f).display()));
                }
                _ => {}
            }
        }
    }
    let tenants = dir.join("tenants");
    std::fs::create_dir_all(&tenants)
        .with_context(|| format!("cannot create {}", tenants.display()))?;
    for (name, text) in TENANTS {
        std::fs::write(tenants.join(name), text)
            .with_context(|| format!("cannot write {}", tenants.display()))?;
    }
    let accounts_file = dir.join("accounts.json");
    std::fs::write(&accounts_file, demo_accounts(env, &tenants)?)
        .with_context(|| format!("cannot write {}", accounts_file.display()))?;

    let demo = Demo { env, db: &db };
    demo.say(&format!(
        "nfa demo: a fresh demo database at {}\n(your own database is not touched)",
        db.display()
    ))?;
    demo.step(
        "Import six customer accounts over fixture tenants; ↻ marks the INACTIVE, STALE and DORMANT ones",
        &["accounts", "import", &path(&accounts_file)],
    )?;
    demo.step(
        "Refresh the STALE account: the activity is recorded, then \"Update AD cache\" and \"Checking account status\" run",
        &["refresh", "fabrikam"],
    )?;
    demo.step(
        "Management tasks as the portal shows them: automated tasks hidden",
        &["tasks"],
    )?;
    demo.step(
        "... and with the automated refresh tasks",
        &["tasks", "--show-automated"],
    )?;
    demo.step(
        "Refresh it again within the 6-hour window: recorded, but no new task (deduplicated)",
        &["refresh", "fabrikam"],
    )?;
    demo.step(
        "Refresh the DORMANT account whose Microsoft 365 token has expired: the check fails",
        &["refresh", "tailspin"],
    )?;
    demo.step(
        "The failure is in the system log, with its task id",
        &["logs", "--level", "error"],
    )?;
    demo.step(
        "Refresh it again: only the failed task is retried",
        &["refresh", "tailspin"],
    )?;
    demo.step("The accounts now", &["accounts", "list"])?;
    demo.say(&format!(
        "Keep exploring the demo database:\n\
         \x20 export NFA_DB={db}\n\
         \x20 nfa accounts show tailspin\n\
         \x20 nfa tasks --show-automated\n\
         \x20 nfa logs --account tailspin\n\
         \x20 nfa -o json accounts list --refreshable | jq -r '.[].name' | nfa refresh -\n\
         \x20 nfa audit --all\n\
         Fixture tenants (edit them to change what the next task sees): {tenants}",
        db = path(&db),
        tenants = tenants.display()
    ))?;
    Ok(Outcome::Success)
}

struct Demo<'a> {
    env: &'a Env,
    db: &'a Path,
}

impl Demo<'_> {
    fn say(&self, text: &str) -> Result<()> {
        self.env.out.line(&format!("\n{text}"))
    }

    /// Narrates, then runs `nfa ARGS` on the demo database. A refresh whose
    /// task fails (exit 3) is part of the story; an interruption is not.
    fn step(&self, title: &str, args: &[&str]) -> Result<()> {
        self.say(&format!("# {title}\n$ nfa {}", args.join(" ")))?;
        let db = path(self.db);
        let mut argv = vec!["nfa", "--db", &db];
        if self.env.quiet {
            argv.push("--quiet");
        }
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).context("demo command line")?;
        match super::run(cli)? {
            Outcome::Interrupted => bail!("interrupted"),
            Outcome::Success | Outcome::TasksFailed => Ok(()),
        }
    }
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// The demo accounts as an import file, with times relative to now.
fn demo_accounts(env: &Env, tenants: &Path) -> Result<String> {
    let now = env.clock.now();
    let ago = |d: TimeDelta| format_time(now - d);
    let src = |f: &str| format!("fixture:{}", tenants.join(f).display());
    let rows = serde_json::json!([
        { "name": "contoso", "source": src("healthy.json"), "tenant_id": "contoso.onmicrosoft.com",
          "last_activity_at": ago(TimeDelta::hours(2)), "ad_cache_updated_at": ago(TimeDelta::hours(3)) },
        { "name": "fabrikam", "source": src("slow.json"), "tenant_id": "fabrikam.onmicrosoft.com",
          "last_activity_at": ago(TimeDelta::days(1)), "ad_cache_updated_at": ago(TimeDelta::days(3)) },
        { "name": "northwind", "source": src("healthy.json"), "tenant_id": "northwind.onmicrosoft.com",
          "last_activity_at": ago(TimeDelta::days(10)), "ad_cache_updated_at": ago(TimeDelta::days(10)) },
        { "name": "tailspin", "source": src("o365-token-expired.json"), "tenant_id": "tailspin.onmicrosoft.com",
          "last_activity_at": ago(TimeDelta::days(45)), "ad_cache_updated_at": ago(TimeDelta::days(40)) },
        { "name": "adatum", "source": src("healthy.json"), "tenant_id": "adatum.onmicrosoft.com",
          "lifecycle": "provisioning" },
        { "name": "woodgrove", "source": src("directory-unreachable.json"), "tenant_id": "woodgrove.onmicrosoft.com",
          "lifecycle": "upgrading", "last_activity_at": ago(TimeDelta::hours(1)) }
    ]);
    Ok(serde_json::to_string_pretty(&rows)?)
}
