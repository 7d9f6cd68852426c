//! The command line: one module per command group, each a thin layer that
//! turns arguments into calls of [`crate::ops`] and hands the results to
//! [`crate::render`].

pub mod accounts;
pub mod completions;
pub mod db;
pub mod demo;
pub mod directory;
pub mod logs;
pub mod partner;
pub mod prune;
pub mod refresh;
pub mod settings;
pub mod summary;
pub mod tasks;
pub mod team;
pub mod ui;
pub mod worker;

use crate::clock::Clock;
use crate::error::Outcome;
use crate::render::{ColorChoice, Output, Renderer};
use crate::store::{Location, Store};
use anyhow::{Result, anyhow};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Keep Nerdio-for-Azure customer accounts current: see each account's
/// status, refresh INACTIVE, STALE and DORMANT ones, follow their tasks and
/// the system log.
#[derive(Debug, Parser)]
#[command(
    name = "nfa",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_long_help = TOP_HELP
)]
pub struct Cli {
    /// The database: an SQLite file (default: nfa.db in the per-user data
    /// directory), or a postgres://USER@HOST/DATABASE URL for a team's
    /// shared database
    #[arg(
        long,
        global = true,
        env = "NFA_DB",
        hide_env_values = true,
        value_name = "PATH|URL",
        help_heading = "Global options"
    )]
    pub db: Option<PathBuf>,

    /// Output format
    #[arg(short, long, global = true, value_enum, default_value_t = Output::Table, value_name = "FORMAT", help_heading = "Global options")]
    pub output: Output,

    /// No progress bars or notes on standard error
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,

    /// Colour in tables: auto (on a terminal, unless NO_COLOR is set),
    /// always, never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = "Global options")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// The end of `nfa --help`: exit codes and the environment.
const TOP_HELP: &str = "\
Exit codes:
  0    success
  1    an error (bad input, unknown account, database problem): one error line
  2    a command-line usage error
  3    a refresh, audit or tasks run completed, but a task ended in ERROR
  70   a bug in nfa (please report it)
  130  interrupted (Ctrl-C); the running tasks end ERROR \"interrupted\"

Environment:
  NFA_DB             the database, as --db
  NFA_NOW            \"now\" for every command (RFC 3339), e.g. 2026-11-30T08:00:00Z
  NFA_LOCK_TIMEOUT   how long a write waits for another writer's lock (default 60s)
  NFA_PG_TIMEOUT     how long nfa waits for PostgreSQL's answer (default 60s)
  NFA_HOST           the host name nfa records as a run's owner (hosts sharing a database differ)
  PGPASSWORD         the PostgreSQL password, when the URL has none
  NFA_PG_PASSWORD_COMMAND  a command that prints the password (an Entra ID token), run per connection
  NO_COLOR           no colour (as --color never)

Examples:
  nfa accounts list --refreshable
  nfa refresh contoso
  nfa -o json tasks --show-automated --status ERROR | jq '.[].error'";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show, add, import and remove customer accounts
    #[command(
        visible_alias = "account",
        after_long_help = "Examples:\n  nfa accounts list --status STALE\n  nfa accounts add contoso --source fixture:tenants/contoso.json\n  nfa accounts import accounts.csv\n  nfa -o json accounts show contoso"
    )]
    Accounts(accounts::Args),
    /// Refresh accounts: record "Updating account status" and, unless an
    /// earlier refresh makes it unnecessary, update the AD cache and check
    /// the Azure and Microsoft 365 connections
    #[command(
        after_long_help = "Examples:\n  nfa refresh contoso\n  nfa refresh --refreshable --jobs 4\n  nfa accounts list --refreshable -o csv | tail -n +2 | cut -d, -f1 | nfa refresh -\n  nfa refresh contoso --no-run    # the tasks stay PENDING for nfa tasks run"
    )]
    Refresh(refresh::RefreshArgs),
    /// Run both refresh tasks for accounts now, ignoring the refresh policy
    /// (the audit service; typically from cron)
    #[command(
        after_long_help = "Examples:\n  nfa audit --all --jobs 4\n  nfa audit contoso fabrikam"
    )]
    Audit(refresh::AuditArgs),
    /// Management tasks: list, show, run pending ones
    #[command(
        visible_alias = "task",
        after_long_help = "Examples:\n  nfa tasks --show-automated --status ERROR --since 1d\n  nfa tasks show 42\n  nfa tasks run --jobs 4"
    )]
    Tasks(tasks::Args),
    /// The system log, newest first
    #[command(
        visible_alias = "log",
        after_long_help = "Examples:\n  nfa logs --level error --since 6h\n  nfa logs --task 42\n  nfa logs --follow"
    )]
    Logs(logs::Args),
    /// Show and change settings
    #[command(
        after_long_help = "Examples:\n  nfa settings\n  nfa settings get refresh-window\n  nfa settings set display-automated-tasks true"
    )]
    Settings(settings::Args),
    /// The morning check: accounts per status, recent failures, oldest AD
    /// caches, runs in progress
    #[command(
        after_long_help = "Examples:\n  nfa summary\n  nfa -o json summary | jq .refresh_marker"
    )]
    Summary(summary::Args),
    /// What an account's AD cache holds: its users and groups
    #[command(
        after_long_help = "Examples:\n  nfa directory users contoso --disabled\n  nfa directory groups contoso --search admin"
    )]
    Directory(directory::Args),
    /// Delete finished history older than keep-history (or --older-than):
    /// never an account's newest refresh, never a run under way
    #[command(
        after_long_help = "Examples:\n  nfa prune --older-than 90d --dry-run\n  nfa settings set keep-history 180d   # then nfa audit --all prunes nightly"
    )]
    Prune(prune::Args),
    /// The database: `db info`, `db copy --to TARGET`
    #[command(
        after_long_help = "Examples:\n  nfa db info\n  nfa db copy --to postgres://nfa@db.example.com/nfa?sslmode=verify-full"
    )]
    Db(db::Args),
    /// Engineers and their roles in a team database (PostgreSQL):
    /// `team grant`, `revoke`, `list`, `whoami`
    #[command(
        after_long_help = "Roles: viewer (reads), helpdesk (reads, refreshes, tests and runs the tasks of its\naccounts only), engineer (all account work), admin (everything, and roles).\n\nExamples:\n  nfa team whoami\n  nfa team grant carol --role helpdesk --account contoso --account fabrikam\n  nfa team grant dave --role engineer\n  nfa team revoke carol --account fabrikam\n  nfa -o json team list"
    )]
    Team(team::Args),
    /// The partner's own multi-tenant app, which signs in to every customer
    /// without an app of its own: `partner set`, `show`, `test`
    #[command(
        after_long_help = "Examples:\n  nfa partner set --tenant-id contoso-partner.onmicrosoft.com --client-id 11111111-2222-3333-4444-555555555555 \\\n      --certificate-file nfa.pem --certificate-key-file nfa.key\n  nfa partner test\n  nfa accounts discover --import"
    )]
    Partner(partner::Args),
    /// The audit service: run PENDING tasks as they appear and, with the
    /// setting audit-every, audit each account once a period; any number
    /// of hosts at once
    #[command(
        after_long_help = "Stops on SIGTERM (exit 0) or Ctrl-C (exit 130): no new work, running tasks get shutdown-grace.\n\nExamples:\n  nfa worker --jobs 4\n  nfa settings set audit-every 1d && nfa worker --metrics 127.0.0.1:9464\n  nfa worker --once    # from cron: what is due, then exit (3 if a task failed)"
    )]
    Worker(worker::Args),
    /// The Accounts screen, full screen in the terminal: the accounts kept
    /// current, r to refresh one, t tasks, l the system log
    #[command(
        after_long_help = "Keys: j/k move, r refresh (as nfa refresh), t tasks (a: automated, Enter: a task), l log,
/ filter by name, s sort, ? help, q or Esc back and out, Ctrl-C quit (this screen's running
tasks end \"interrupted\").

Examples:
  nfa ui
  NO_COLOR=1 nfa ui
  nfa --db postgres://dave@db.example.com/nfa ui"
    )]
    Ui(ui::Args),
    /// Run the main job end to end on a fresh demo database
    Demo(demo::Args),
    /// Print a shell completion script
    Completions(completions::Args),
}

/// What every command gets: the clock, the renderer, and how to open the
/// database.
pub struct Env {
    pub clock: Clock,
    pub out: Renderer,
    pub quiet: bool,
    /// The database: `--db`, else `NFA_DB`, else the per-user default,
    /// parsed once (`None` for the demo, which makes its own).
    db: Option<Location>,
}

/// The database's location: `--db`, else `NFA_DB`, else the per-user
/// default, parsed once.
fn locate(db: Option<PathBuf>) -> Result<Location> {
    if let Some(p) = db.filter(|p| !p.as_os_str().is_empty()) {
        return Location::parse(&p);
    }
    let dirs = directories::ProjectDirs::from("", "", "nfa").ok_or_else(|| {
        anyhow!("cannot find a home directory for the database; use --db PATH or NFA_DB")
    })?;
    Ok(Location::Sqlite(dirs.data_dir().join("nfa.db")))
}

impl Env {
    /// Where the database is.
    pub fn location(&self) -> Result<&Location> {
        self.db
            .as_ref()
            .ok_or_else(|| crate::error::internal("this command has no database of the user's"))
    }

    pub fn store(&self) -> Result<Store> {
        Store::open(self.location()?)
    }

    /// The store, for an action not every role may take: refused (one
    /// line naming the user, the role and the action) before anything is
    /// written. SQLite has no roles.
    pub fn store_for(&self, action: crate::domain::role::Action) -> Result<Store> {
        let store = self.store()?;
        store.authorize(action)?;
        Ok(store)
    }

    /// Prints a human note on standard error (only on a terminal, never
    /// with `-q`).
    pub fn note(&self, text: &str) {
        use std::io::IsTerminal;
        if !self.quiet && std::io::stderr().is_terminal() {
            eprintln!("{}", crate::render::for_terminal(text, true));
        }
    }
}

pub fn run(cli: Cli) -> Result<Outcome> {
    if let Command::Completions(args) = &cli.command {
        return completions::run(args);
    }
    let clock = Clock::from_env()?;
    // The demo runs its commands on its own database, each explained there.
    let own_db = !matches!(cli.command, Command::Demo(_));
    let env = Env {
        clock,
        out: Renderer::new(cli.output, cli.color, clock.now(), cli.quiet),
        quiet: cli.quiet,
        db: if own_db { Some(locate(cli.db)?) } else { None },
    };
    let result = match cli.command {
        Command::Accounts(args) => accounts::run(&env, args),
        Command::Refresh(args) => refresh::run_refresh(&env, args),
        Command::Audit(args) => refresh::run_audit(&env, args),
        Command::Tasks(args) => tasks::run(&env, args),
        Command::Logs(args) => logs::run(&env, args),
        Command::Settings(args) => settings::run(&env, args),
        Command::Prune(args) => prune::run(&env, args),
        Command::Directory(args) => directory::run(&env, args),
        Command::Summary(args) => summary::run(&env, args),
        Command::Worker(args) => worker::run(&env, args),
        Command::Ui(args) => ui::run(&env, args),
        Command::Db(args) => db::run(&env, args),
        Command::Team(args) => team::run(&env, args),
        Command::Partner(args) => partner::run(&env, args),
        Command::Demo(args) => demo::run(&env, args),
        Command::Completions(_) => unreachable!("handled above"),
    };
    // A database error says which database and what to do about it.
    result.map_err(|e| match &env.db {
        Some(at) => match (crate::store::explain(&e, at), at) {
            // The driver's own words are in the explanation, on one line
            // (SQLite's "Error code 5: database is locked" would only
            // repeat it).
            (Some(text), _) => anyhow!(text),
            (None, _) => e,
        },
        None => e,
    })
}

/// What a terminal is told of a list cut at its `--limit`.
pub fn cut_note(limit: u64) -> String {
    format!("the newest {limit} shown, and there are more: --limit N for more, --limit 0 for all")
}

/// Runs `work` as a command that runs tasks ([`crate::ops::run::run_tasks`])
/// with progress bars for `accounts` accounts on a terminal; `work` gets the
/// bars too, to print between them.
pub fn run_tasks<R>(
    env: &Env,
    store: &Store,
    jobs: u16,
    accounts: usize,
    work: impl FnOnce(&crate::ops::RunContext<'_>, &crate::ui::Progress) -> crate::ops::Done<R>,
) -> Result<crate::ops::run::Run<R>> {
    let progress = crate::ui::Progress::new(env.quiet).with_overall(accounts);
    let run = crate::ops::run::run_tasks(store, env.clock, jobs, &progress, |ctx| {
        work(ctx, &progress)
    });
    progress.finish();
    run
}

/// clap value parsers for the words of the domain.
pub mod parse {
    use crate::domain::time::{Since, TimeError, parse_time};
    use crate::domain::word::Word;
    use chrono::{DateTime, Utc};
    use clap::builder::{PossibleValue, TypedValueParser};
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    use std::marker::PhantomData;

    /// A vocabulary of the domain as a flag value: any case and the
    /// vocabulary's aliases are accepted, and its words are listed in
    /// `--help`, in completions and in the error for a wrong one.
    #[derive(Debug, Clone, Copy)]
    pub struct Words<W>(PhantomData<W>);

    pub fn words<W: Word>() -> Words<W> {
        Words(PhantomData)
    }

    impl<W: Word + Clone> TypedValueParser for Words<W> {
        type Value = W;

        fn parse_ref(
            &self,
            cmd: &clap::Command,
            arg: Option<&clap::Arg>,
            value: &std::ffi::OsStr,
        ) -> Result<W, clap::Error> {
            let text = value.to_string_lossy();
            W::parse(&text).map_err(|e| {
                let mut err = clap::Error::new(ErrorKind::InvalidValue).with_cmd(cmd);
                if let Some(arg) = arg {
                    err.insert(
                        ContextKind::InvalidArg,
                        ContextValue::String(arg.to_string()),
                    );
                }
                err.insert(ContextKind::InvalidValue, ContextValue::String(e.value));
                err.insert(
                    ContextKind::ValidValue,
                    ContextValue::Strings(e.expected.iter().map(ToString::to_string).collect()),
                );
                err
            })
        }

        fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
            Some(Box::new(
                W::VARIANTS.iter().map(|w| PossibleValue::new(w.as_str())),
            ))
        }
    }

    pub fn time(s: &str) -> Result<DateTime<Utc>, TimeError> {
        parse_time(s)
    }

    /// A `--since` value, resolved against "now" later.
    pub fn when(s: &str) -> Result<Since, TimeError> {
        Since::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory as _;
        super::Cli::command().debug_assert();
    }
}
