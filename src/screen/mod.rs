//! `nfa ui`: the portal's Accounts screen in the terminal (ratatui over
//! crossterm). A thin layer: it reads through `ops` as the commands do,
//! refreshes through the same `ops::refresh` as `nfa refresh` (the policy
//! applies unchanged), and draws with the commands' column declarations.
//!
//! - [`state`]: what is shown and the keys, as pure transitions.
//! - [`draw`]: the state drawn on a frame.
//! - here: the loop. A reader thread reads the current view every 2 s, or
//!   at once when woken (a key; another process's commit: PostgreSQL's
//!   LISTEN/NOTIFY, SQLite's `data_version` looked at every 50 ms), on a
//!   connection of its own; a lost connection is a
//!   message line and another try. Each `r` runs its refresh on a thread
//!   of its own, told by a [`Cancel`] that Ctrl-C raises: its tasks end
//!   "interrupted" as the command's do.

pub mod draw;
pub mod state;

use crate::cli::Env;
use crate::clock::Clock;
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::role::Action;
use crate::domain::task::{TaskKind, TaskStatus};
use crate::error::Outcome;
use crate::model::Account;
use crate::ops::accounts::AccountView;
use crate::ops::logs::LogView;
use crate::ops::refresh::{RefreshOptions, RefreshReport};
use crate::ops::tasks::{TaskDetail, TaskView};
use crate::process::Cancel;
use crate::runner::{Observer, TaskResult};
use crate::store::{Location, LogFilter, Store, TaskFilter, explain};
use anyhow::{Result, bail};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use state::{App, Effect, Tone, View};
use std::io::IsTerminal;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

/// How often what is shown is read again without being woken.
const REREAD: Duration = Duration::from_secs(2);
/// The most rows of the tasks and log views (the newest).
const LIMIT: u64 = 1_000;
/// How long the loop waits for a key before it looks at its messages.
const TICK: Duration = Duration::from_millis(50);

/// The message line of a read that failed (cleared by the next that works).
const READ_FAILED: &str = "cannot read the database";

/// What the reader reads besides the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Want {
    tasks: Option<bool>,
    logs: bool,
    task: Option<TaskId>,
}

impl Want {
    fn of(app: &App) -> Want {
        Want {
            tasks: matches!(app.view, View::Tasks).then_some(app.automated),
            logs: matches!(app.view, View::Logs),
            task: match app.view {
                View::Task(id) => Some(id),
                _ => None,
            },
        }
    }
}

/// What the threads tell the loop.
enum News {
    Read {
        accounts: Vec<AccountView>,
        tasks: Option<Vec<TaskView>>,
        logs: Option<Vec<LogView>>,
        task: Option<Box<TaskDetail>>,
    },
    ReadFailed(String),
    Planned {
        account: AccountId,
        line: String,
        tasks: usize,
    },
    Started(AccountId, &'static str),
    Finished(AccountId),
    Warn(String),
    Ended(AccountId, Option<(String, Tone)>),
}

pub fn run(env: &Env) -> Result<Outcome> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(
            "nfa ui needs a terminal (standard input and output are not one); for scripts, use nfa accounts list and nfa refresh"
        );
    }
    let store = env.store()?;
    let refused = store
        .authorize(Action::Refresh)
        .err()
        .map(|e| format!("{e}"));
    let settings = store.read().settings()?;
    let at = store.at().clone();
    let title = at.to_string();
    drop(store);
    let style = crate::render::Style {
        terminal: true,
        color: env.out.colored(),
        now: env.clock.now(),
    };
    // crossterm leaves colour out under NO_COLOR by itself; `--color
    // always` says to colour over it.
    if style.color {
        ratatui::crossterm::style::force_color_output(true);
    }
    let mut app = App::new(title, style, settings.display_automated_tasks);
    app.refresh_refused = refused;
    // A signal (SIGTERM, SIGHUP: the terminal closed, SIGINT from `kill`)
    // ends the screen as Ctrl-C does, the terminal given back.
    let signalled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    #[cfg(unix)]
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        signal_hook::flag::register(sig, signalled.clone())
            .map_err(|e| anyhow::anyhow!("cannot catch signal {sig}: {e}"))?;
    }
    let mut terminal = ratatui::init();
    let _restore = Restore;
    let outcome = screen(&mut terminal, &mut app, &at, env.clock, &signalled);
    drop(_restore);
    outcome
}

/// Leaves the terminal as it was, however the screen ends (a panic too:
/// `ratatui::init` hooks it).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

fn screen(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    at: &Location,
    clock: Clock,
    signalled: &std::sync::atomic::AtomicBool,
) -> Result<Outcome> {
    let (news, inbox) = channel::<News>();
    let (ask, asked) = channel::<Want>();
    let reader = {
        let news = news.clone();
        let at = at.clone();
        std::thread::spawn(move || reader(&at, clock, &asked, &news))
    };
    let cancel = Cancel::new();
    let mut runs: Vec<std::thread::JoinHandle<()>> = vec![];
    let mut want = Want::of(app);
    let _ = ask.send(want);
    let keys = keys();
    let outcome = loop {
        // A terminal that went away (its writes fail) ends the screen as
        // its hangup signal does.
        if terminal.draw(|f| draw::draw(f, app)).is_err() {
            break Outcome::Interrupted;
        }
        let mut effect = None;
        match keys.recv_timeout(TICK) {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => effect = app.key(k),
            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
            // The terminal's input is gone.
            Err(RecvTimeoutError::Disconnected) => effect = Some(Effect::Interrupt),
        }
        if signalled.load(std::sync::atomic::Ordering::SeqCst) {
            effect = Some(Effect::Interrupt);
        }
        match effect {
            Some(Effect::Quit) => break Outcome::Success,
            Some(Effect::Interrupt) => break Outcome::Interrupted,
            Some(Effect::Refresh(id)) => {
                let (news, at, cancel) = (news.clone(), at.clone(), cancel.clone());
                runs.push(std::thread::spawn(move || {
                    refresh(&at, clock, id, &cancel, &news);
                }));
            }
            Some(Effect::Reload) | None => {}
        }
        if Want::of(app) != want || effect == Some(Effect::Reload) {
            want = Want::of(app);
            let _ = ask.send(want);
        }
        let mut reread = false;
        while let Ok(n) = inbox.try_recv() {
            // A task of this screen's ended: its account's row at once.
            reread |= matches!(n, News::Finished(_) | News::Ended(..));
            take(app, n, clock)?;
        }
        if reread {
            let _ = ask.send(want);
        }
        runs.retain(|r| !r.is_finished());
    };
    // Leaving: this screen's running tasks end "interrupted", as after
    // Ctrl-C in a command; the screen waits for them to be recorded.
    if !runs.is_empty() {
        cancel.cancel();
        crate::process::mark_interrupted();
        app.say(
            "ending this screen's running tasks (interrupted)…",
            Tone::Warn,
        );
        // Shown if the terminal is still there.
        let _ = terminal.draw(|f| draw::draw(f, app));
        for r in runs {
            let _ = r.join();
        }
    }
    // The reader is not waited for: it may be inside a read or a
    // connection attempt to a server that does not answer, and it only
    // reads; the process's end closes its connection.
    drop(ask);
    drop(reader);
    Ok(outcome)
}

/// The terminal's events, read on a thread of their own, so that the
/// screen's loop never waits inside crossterm: once the terminal is gone
/// crossterm's reader retries its read for ever without returning
/// (crossterm-rs/crossterm#793), and the loop must still see the hangup
/// signal and end the screen's tasks. An error reading ends the thread
/// (the channel then says disconnected); the thread is not waited for.
fn keys() -> Receiver<Event> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        while let Ok(e) = event::read() {
            if tx.send(e).is_err() {
                return;
            }
        }
    });
    rx
}

/// Applies what a thread told.
fn take(app: &mut App, n: News, clock: Clock) -> Result<()> {
    match n {
        News::Read {
            accounts,
            tasks,
            logs,
            task,
        } => {
            app.style.now = clock.now();
            if app
                .message
                .as_ref()
                .is_some_and(|(m, _)| m.starts_with(READ_FAILED))
            {
                app.message = None;
            }
            app.set_accounts(accounts)?;
            if let Some(t) = tasks {
                app.set_tasks(t)?;
            }
            if let Some(l) = logs {
                app.set_logs(l)?;
            }
            if let Some(t) = task {
                app.detail = Some(*t);
            }
        }
        News::ReadFailed(why) => {
            app.say(format!("{READ_FAILED} ({why}); trying again"), Tone::Warn);
        }
        News::Planned {
            account,
            line,
            tasks,
        } => app.planned(account, &line, tasks),
        News::Started(a, name) => app.task_started(a, name),
        News::Finished(a) => app.task_finished(a),
        News::Warn(w) => app.say(w, Tone::Warn),
        News::Ended(a, summary) => app.refresh_ended(a, summary),
    }
    Ok(())
}

/// The reader: the accounts and what the view wants, every [`REREAD`],
/// at once when asked or (PostgreSQL) when a log line was written.
fn reader(at: &Location, clock: Clock, asked: &Receiver<Want>, news: &Sender<News>) {
    let mut want = Want::default();
    let mut store: Option<Store> = None;
    let mut due = Instant::now();
    // The last database version seen (SQLite), so that another process's
    // commit wakes the reader at once, as a notification does on PostgreSQL.
    let mut mark: Option<i64> = None;
    loop {
        match asked.recv_timeout(TICK) {
            Ok(w) => {
                want = w;
                due = Instant::now();
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        while let Ok(w) = asked.try_recv() {
            want = w;
        }
        if store.is_none() && Instant::now() >= due {
            let opened = Store::open(at).and_then(|s| {
                s.name_session("nfa ui")?;
                s.listen_for_logs()?;
                Ok(s)
            });
            match opened {
                Ok(s) => {
                    mark = None;
                    store = Some(s);
                }
                Err(e) => {
                    let why = explain(&e, at).unwrap_or_else(|| format!("{e:#}"));
                    let _ = news.send(News::ReadFailed(why));
                    due = Instant::now() + REREAD;
                    continue;
                }
            }
        }
        let Some(s) = &store else { continue };
        let woken = s.changed_since(&mut mark).unwrap_or(true);
        if !woken && Instant::now() < due {
            continue;
        }
        due = Instant::now() + REREAD;
        match read(s, clock, want) {
            Ok(n) => {
                if news.send(n).is_err() {
                    return;
                }
            }
            Err(e) => {
                let why = explain(&e, at).unwrap_or_else(|| format!("{e:#}"));
                let _ = news.send(News::ReadFailed(why));
                if s.connection_lost() {
                    store = None;
                }
            }
        }
    }
}

fn read(store: &Store, clock: Clock, want: Want) -> Result<News> {
    let mut accounts = vec![];
    crate::ops::accounts::list(store, clock.now(), &[], false, |a| {
        accounts.push(a);
        Ok(())
    })?;
    let tasks = match want.tasks {
        None => None,
        Some(automated) => {
            let mut tasks = vec![];
            let filter = TaskFilter {
                include_automated: automated,
                limit: LIMIT,
                ..TaskFilter::default()
            };
            crate::ops::tasks::list(store, filter, |t| {
                // Off, automated tasks stay hidden even where the setting
                // shows them.
                if automated || !t.automated {
                    tasks.push(t);
                }
                Ok(())
            })?;
            Some(tasks)
        }
    };
    let logs = match want.logs {
        false => None,
        true => {
            let mut logs = vec![];
            let filter = LogFilter {
                limit: Some(LIMIT),
                ..LogFilter::default()
            };
            crate::ops::logs::list(store, &filter, |l| {
                logs.push(l);
                Ok(())
            })?;
            Some(logs)
        }
    };
    let task = match want.task {
        None => None,
        Some(id) => Some(Box::new(crate::ops::tasks::show(store, id)?)),
    };
    Ok(News::Read {
        accounts,
        tasks,
        logs,
        task,
    })
}

/// One `r`: the refresh of `account`, as `nfa refresh ACCOUNT` does it.
fn refresh(at: &Location, clock: Clock, account: AccountId, cancel: &Cancel, news: &Sender<News>) {
    let said = Said { news };
    let ended = (|| -> Result<Option<(String, Tone)>> {
        let store = Store::open(at)?;
        let targets = crate::ops::accounts::resolve_all(&store, &[format!("#{account}")])?;
        let on_planned = |r: &RefreshReport| {
            let _ = news.send(News::Planned {
                account: r.account_id,
                line: r.message.clone().unwrap_or_else(|| r.description.clone()),
                tasks: r.tasks.len(),
            });
        };
        let run = crate::ops::run::run_tasks_with(&store, clock, 1, &said, cancel, |ctx| {
            crate::ops::refresh::refresh(
                ctx,
                &store,
                &targets,
                &RefreshOptions { no_run: false },
                &on_planned,
            )
        })?;
        if run.interrupted {
            return Ok(None);
        }
        if let Some(e) = run.error {
            return Err(e);
        }
        Ok(run.reports.first().and_then(summary))
    })();
    let summary = ended.unwrap_or_else(|e| {
        let why = explain(&e, at).unwrap_or_else(|| format!("{e:#}"));
        Some((why, Tone::Error))
    });
    let _ = news.send(News::Ended(account, summary));
}

/// What a refresh that ran says when it ends: its failures, or the status
/// it left (none when it ran nothing: the decision's line stays).
fn summary(r: &RefreshReport) -> Option<(String, Tone)> {
    let failed: Vec<String> = r
        .tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Error)
        .map(|t| {
            format!(
                "task {} {} ERROR: {}",
                t.id,
                t.name,
                t.error.as_deref().unwrap_or("")
            )
        })
        .collect();
    if !failed.is_empty() {
        return Some((format!("{}: {}", r.account, failed.join("; ")), Tone::Error));
    }
    if r.tasks.is_empty() {
        return None;
    }
    Some((
        format!(
            "{}: {} → {} ({} tasks COMPLETE)",
            r.account,
            r.status_before,
            r.status_after,
            r.tasks.len()
        ),
        Tone::Info,
    ))
}

/// A refresh's progress, told to the loop.
struct Said<'a> {
    news: &'a Sender<News>,
}

impl Observer for Said<'_> {
    fn task_started(&self, account: &Account, kind: TaskKind) {
        let _ = self
            .news
            .send(News::Started(account.id, kind.display_name()));
    }

    fn task_finished(&self, account: &Account, _: &TaskResult) {
        let _ = self.news.send(News::Finished(account.id));
    }

    fn warn(&self, text: &str) {
        let _ = self.news.send(News::Warn(text.to_string()));
    }
}

impl crate::ops::run::Progress for Said<'_> {
    fn account_started(&self, _: &Account, _: usize) {}
    fn account_finished(&self, _: &Account) {}
}
