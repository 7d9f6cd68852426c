//! The screen's state and its keys, as pure transitions: a key changes
//! the state and may ask for one effect (a refresh, a reload, quitting),
//! which the loop carries out through `ops`. Nothing here reads the
//! database or the terminal.

use crate::domain::ids::{AccountId, TaskId};
use crate::domain::log::NEW_ACTIVITY;
use crate::ops::accounts::AccountView;
use crate::ops::logs::LogView;
use crate::ops::tasks::{TaskDetail, TaskView};
use crate::render::Style;
use crate::render::grid::Grid;
use anyhow::Result;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// What the screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Accounts,
    Tasks,
    Logs,
    /// A task, its children and their log lines.
    Task(TaskId),
    Help,
}

/// How the accounts are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    Status,
    Activity,
}

impl Sort {
    fn next(self) -> Sort {
        match self {
            Sort::Name => Sort::Status,
            Sort::Status => Sort::Activity,
            Sort::Activity => Sort::Name,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Status => "status",
            Sort::Activity => "activity",
        }
    }
}

/// The tone of the message line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Warn,
    Error,
}

/// What a key asks the loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Leave the screen (its own running tasks, if any, interrupted).
    Quit,
    /// Ctrl-C: leave now, the screen's running tasks ended "interrupted".
    Interrupt,
    /// Refresh this account, as `nfa refresh` does.
    Refresh(AccountId),
    /// What is shown changed: read it again now.
    Reload,
}

/// An account's tasks running from this screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub done: usize,
    pub total: usize,
    /// The task under way.
    pub current: Option<&'static str>,
}

/// How a list's items are ordered.
type Order<T> = dyn Fn(&T, &T) -> std::cmp::Ordering;

/// A list on the screen: its items, their cells, the order shown (after
/// the filter and the sort) and the selected row of that order.
#[derive(Debug)]
pub struct List<T> {
    pub items: Vec<T>,
    pub grid: Grid,
    /// Indices into `items`, as shown.
    pub order: Vec<usize>,
    pub selected: usize,
}

impl<T> Default for List<T> {
    fn default() -> List<T> {
        List {
            items: vec![],
            grid: Grid::default(),
            order: vec![],
            selected: 0,
        }
    }
}

impl<T> List<T> {
    /// The selected item.
    pub fn current(&self) -> Option<&T> {
        self.order.get(self.selected).map(|&i| &self.items[i])
    }

    fn moved(&mut self, by: isize) {
        let last = self.order.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(by).min(last);
    }

    fn first(&mut self) {
        self.selected = 0;
    }

    fn last(&mut self) {
        self.selected = self.order.len().saturating_sub(1);
    }

    /// New items: the selection follows the item it was on (by `key`);
    /// [`List::reorder`] must follow.
    fn set<K: PartialEq>(&mut self, items: Vec<T>, grid: Grid, key: impl Fn(&T) -> K) {
        let was = self.current().map(&key);
        self.items = items;
        self.grid = grid;
        self.order = (0..self.items.len()).collect();
        // Found: its place before the filter and sort, which `reorder`
        // (always next) maps; not (the first read): the first row shown.
        self.selected = was
            .and_then(|k| self.items.iter().position(|i| key(i) == k))
            .unwrap_or(usize::MAX);
    }

    /// Shows only the items `keep` keeps, ordered by `cmp`; the selection
    /// stays on its item if it is still shown.
    fn reorder(&mut self, keep: impl Fn(&T) -> bool, cmp: Option<&Order<T>>) {
        let was = self.order.get(self.selected).copied();
        let mut order: Vec<usize> = (0..self.items.len())
            .filter(|&i| keep(&self.items[i]))
            .collect();
        if let Some(cmp) = cmp {
            order.sort_by(|&a, &b| cmp(&self.items[a], &self.items[b]));
        }
        self.order = order;
        self.selected = was
            .and_then(|w| self.order.iter().position(|&i| i == w))
            .unwrap_or(0);
        self.moved(0);
    }
}

/// Everything the screen shows.
pub struct App {
    pub view: View,
    /// Where Esc goes back to from help.
    pub under_help: View,
    pub accounts: List<AccountView>,
    pub tasks: List<TaskView>,
    pub logs: List<LogView>,
    pub detail: Option<TaskDetail>,
    /// The lines of the task view: its fields, its children, its log lines.
    pub detail_scroll: usize,
    pub filter: String,
    /// Typing the filter (after `/`).
    pub typing: bool,
    pub sort: Sort,
    /// Automated tasks shown in the tasks view ("Display automated tasks").
    pub automated: bool,
    pub message: Option<(String, Tone)>,
    pub running: BTreeMap<AccountId, Running>,
    /// `q` was pressed once while tasks of this screen run.
    pub quitting: bool,
    /// Why this login may not refresh (its role), if it may not.
    pub refresh_refused: Option<String>,
    /// Where the data comes from, for the title (the database's name).
    pub title: String,
    pub style: Style,
    /// The accounts have been read once (until then: "reading…").
    pub read: bool,
}

impl App {
    pub fn new(title: String, style: Style, automated: bool) -> App {
        App {
            view: View::Accounts,
            under_help: View::Accounts,
            accounts: List::default(),
            tasks: List::default(),
            logs: List::default(),
            detail: None,
            detail_scroll: 0,
            filter: String::new(),
            typing: false,
            sort: Sort::Name,
            automated,
            message: None,
            running: BTreeMap::new(),
            quitting: false,
            refresh_refused: None,
            title,
            style,
            read: false,
        }
    }

    pub fn say(&mut self, text: impl Into<String>, tone: Tone) {
        self.message = Some((text.into(), tone));
    }

    pub fn set_accounts(&mut self, items: Vec<AccountView>) -> Result<()> {
        let grid = Grid::of(&items, self.style)?;
        self.accounts.set(items, grid, |a| a.id);
        self.read = true;
        self.apply_filter();
        Ok(())
    }

    pub fn set_tasks(&mut self, items: Vec<TaskView>) -> Result<()> {
        let grid = Grid::of(&items, self.style)?;
        self.tasks.set(items, grid, |t| t.id);
        self.apply_filter();
        Ok(())
    }

    pub fn set_logs(&mut self, items: Vec<LogView>) -> Result<()> {
        let grid = Grid::of(&items, self.style)?;
        self.logs.set(items, grid, |l| l.id);
        self.apply_filter();
        Ok(())
    }

    /// The filter (a part of the account's name, any case) and the sort,
    /// applied to the lists.
    fn apply_filter(&mut self) {
        let needle = self.filter.to_lowercase();
        let by_name = |name: &str| needle.is_empty() || name.to_lowercase().contains(&needle);
        let sort = self.sort;
        let cmp = move |a: &AccountView, b: &AccountView| match sort {
            Sort::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            // In the order the statuses are declared: the most in need of
            // care first, ACTIVE last.
            Sort::Status => (rank(a.status), a.id).cmp(&(rank(b.status), b.id)),
            // The longest without management activity first.
            Sort::Activity => (a.last_activity_at, a.id).cmp(&(b.last_activity_at, b.id)),
        };
        self.accounts.reorder(|a| by_name(&a.name), Some(&cmp));
        self.tasks.reorder(|t| by_name(&t.account), None);
        self.logs
            .reorder(|l| by_name(l.account.as_deref().unwrap_or("")), None);
    }

    /// The line at the bottom: the tooltip of a ↻ account, else the keys.
    pub fn hint(&self) -> String {
        if self.typing {
            return format!("/{}▏  Enter keeps it, Esc clears it", self.filter);
        }
        match self.view {
            View::Accounts => match self.accounts.current() {
                Some(a) if a.refresh_available => format!("↻ {NEW_ACTIVITY}  (r)"),
                _ => "r refresh  t tasks  l log  / filter  s sort  ? help  q quit".to_string(),
            },
            View::Tasks => format!(
                "Enter task  a automated ({})  l log  / filter  Esc back",
                if self.automated { "shown" } else { "hidden" }
            ),
            View::Logs => "t tasks  / filter  Esc back".to_string(),
            View::Task(_) => "j/k scroll  Esc back".to_string(),
            View::Help => "any key: back".to_string(),
        }
    }

    /// A key pressed.
    pub fn key(&mut self, k: KeyEvent) -> Option<Effect> {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Some(Effect::Interrupt);
        }
        if self.typing {
            return self.typing_key(k);
        }
        if self.view == View::Help {
            self.view = self.under_help;
            return None;
        }
        let quitting = std::mem::take(&mut self.quitting);
        let before = self.view;
        let effect = self.view_key(k, quitting);
        if self.view != before && !matches!(self.view, View::Help) {
            // Another view: its title, not the last message.
            self.message = None;
        }
        effect
    }

    fn view_key(&mut self, k: KeyEvent, quitting: bool) -> Option<Effect> {
        match (self.view, k.code) {
            (_, KeyCode::Char('?')) => {
                self.under_help = self.view;
                self.view = View::Help;
                None
            }
            (View::Accounts, KeyCode::Char('q') | KeyCode::Esc) => {
                if k.code == KeyCode::Esc && !self.filter.is_empty() {
                    self.filter.clear();
                    self.apply_filter();
                    return None;
                }
                if self.running.is_empty() || quitting {
                    return Some(Effect::Quit);
                }
                self.quitting = true;
                self.say(
                    "this screen's tasks are still running: q again ends them ERROR \"interrupted\" and quits",
                    Tone::Warn,
                );
                None
            }
            (View::Task(_), KeyCode::Char('q') | KeyCode::Esc) => {
                self.view = View::Tasks;
                self.detail = None;
                Some(Effect::Reload)
            }
            (_, KeyCode::Char('q') | KeyCode::Esc) => {
                self.view = View::Accounts;
                None
            }
            (_, KeyCode::Char('/')) => {
                self.typing = true;
                None
            }
            (View::Task(_), KeyCode::Char('j') | KeyCode::Down) => {
                self.detail_scroll += 1;
                None
            }
            (View::Task(_), KeyCode::Char('k') | KeyCode::Up) => {
                self.detail_scroll = self.detail_scroll.saturating_sub(1);
                None
            }
            (View::Task(_), _) => None,
            (_, KeyCode::Char('j') | KeyCode::Down) => self.move_by(1),
            (_, KeyCode::Char('k') | KeyCode::Up) => self.move_by(-1),
            (_, KeyCode::PageDown) => self.move_by(20),
            (_, KeyCode::PageUp) => self.move_by(-20),
            (_, KeyCode::Char('g') | KeyCode::Home) => {
                self.list_mut(|l| l.first());
                None
            }
            (_, KeyCode::Char('G') | KeyCode::End) => {
                self.list_mut(|l| l.last());
                None
            }
            (_, KeyCode::Char('t')) => {
                self.view = View::Tasks;
                Some(Effect::Reload)
            }
            (_, KeyCode::Char('l')) => {
                self.view = View::Logs;
                Some(Effect::Reload)
            }
            (View::Accounts, KeyCode::Char('s')) => {
                self.sort = self.sort.next();
                self.apply_filter();
                self.say(format!("sorted by {}", self.sort.word()), Tone::Info);
                None
            }
            (View::Accounts, KeyCode::Char('r')) => {
                let (id, name) = self.accounts.current().map(|a| (a.id, a.name.clone()))?;
                if let Some(why) = self.refresh_refused.clone() {
                    self.say(why, Tone::Error);
                    return None;
                }
                if self.running.contains_key(&id) {
                    self.say(
                        format!("{name} is being refreshed from this screen"),
                        Tone::Info,
                    );
                    return None;
                }
                Some(Effect::Refresh(id))
            }
            (View::Tasks, KeyCode::Char('a')) => {
                self.automated = !self.automated;
                Some(Effect::Reload)
            }
            (View::Tasks, KeyCode::Enter) => {
                let id = self.tasks.current()?.id;
                self.view = View::Task(id);
                self.detail_scroll = 0;
                Some(Effect::Reload)
            }
            _ => None,
        }
    }

    fn typing_key(&mut self, k: KeyEvent) -> Option<Effect> {
        match k.code {
            KeyCode::Enter => self.typing = false,
            KeyCode::Esc => {
                self.typing = false;
                self.filter.clear();
            }
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) if !c.is_control() => self.filter.push(c),
            _ => return None,
        }
        self.apply_filter();
        None
    }

    fn move_by(&mut self, by: isize) -> Option<Effect> {
        self.list_mut(|l| l.moved(by));
        None
    }

    fn list_mut(&mut self, f: impl FnOnce(&mut dyn Selectable)) {
        match self.view {
            View::Accounts => f(&mut self.accounts),
            View::Tasks => f(&mut self.tasks),
            View::Logs => f(&mut self.logs),
            View::Task(_) | View::Help => {}
        }
    }

    /// A refresh from this screen was decided: the line the command
    /// prints, and the tasks it will run.
    pub fn planned(&mut self, account: AccountId, line: &str, tasks: usize) {
        self.say(line, Tone::Info);
        if tasks > 0 {
            self.running.insert(
                account,
                Running {
                    done: 0,
                    total: tasks,
                    current: None,
                },
            );
        }
    }

    pub fn task_started(&mut self, account: AccountId, name: &'static str) {
        if let Some(r) = self.running.get_mut(&account) {
            r.current = Some(name);
        }
    }

    pub fn task_finished(&mut self, account: AccountId) {
        if let Some(r) = self.running.get_mut(&account) {
            r.done += 1;
            r.current = None;
        }
    }

    /// A refresh from this screen ended (`error`: what stopped it).
    pub fn refresh_ended(&mut self, account: AccountId, summary: Option<(String, Tone)>) {
        self.running.remove(&account);
        if let Some((text, tone)) = summary {
            self.say(text, tone);
        }
    }
}

fn rank(s: crate::domain::status::AccountStatus) -> usize {
    use strum::VariantArray;
    crate::domain::status::AccountStatus::VARIANTS
        .iter()
        .position(|v| *v == s)
        .unwrap_or(usize::MAX)
}

/// The moves every list takes.
pub trait Selectable {
    fn moved(&mut self, by: isize);
    fn first(&mut self);
    fn last(&mut self);
}

impl<T> Selectable for List<T> {
    fn moved(&mut self, by: isize) {
        List::moved(self, by);
    }
    fn first(&mut self) {
        List::first(self);
    }
    fn last(&mut self) {
        List::last(self);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::status::{AccountStatus, Lifecycle};
    use ratatui::crossterm::event::KeyEvent;

    pub fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        crate::domain::time::parse_time(s).unwrap()
    }

    pub fn account(id: i64, name: &str, status: AccountStatus, days: Option<i64>) -> AccountView {
        let now = at("2026-12-01T08:00:00Z");
        AccountView {
            id: AccountId(id),
            name: name.to_string(),
            tenant_id: None,
            source: "fixture:t.json".to_string(),
            status,
            refresh_available: status.refresh_available(),
            lifecycle: Lifecycle::Ready,
            last_activity_at: days.map(|d| now - chrono::TimeDelta::days(d)),
            ad_cache_updated_at: days.map(|d| now - chrono::TimeDelta::days(d + 1)),
            last_check_at: None,
            last_check_ok: days.map(|d| d < 10),
            ad_users: id * 40,
            ad_groups: id * 3,
            created_at: now - chrono::TimeDelta::days(60),
        }
    }

    pub fn app() -> App {
        let style = Style {
            terminal: true,
            color: false,
            now: at("2026-12-01T08:00:00Z"),
        };
        let mut app = App::new("nfa.db".to_string(), style, false);
        app.set_accounts(vec![
            account(1, "contoso", AccountStatus::Inactive, Some(12)),
            account(2, "fabrikam", AccountStatus::Active, Some(0)),
            account(3, "northwind traders", AccountStatus::Stale, Some(2)),
            account(4, "adatum", AccountStatus::Dormant, Some(45)),
        ])
        .unwrap();
        app
    }

    fn press(app: &mut App, keys: &str) -> Vec<Effect> {
        keys.chars()
            .filter_map(|c| app.key(KeyEvent::from(KeyCode::Char(c))))
            .collect()
    }

    fn code(app: &mut App, code: KeyCode) -> Option<Effect> {
        app.key(KeyEvent::from(code))
    }

    fn names(app: &App) -> Vec<&str> {
        app.accounts
            .order
            .iter()
            .map(|&i| app.accounts.items[i].name.as_str())
            .collect()
    }

    #[test]
    fn the_accounts_are_sorted_by_name_then_status_then_activity() {
        let mut app = app();
        assert_eq!(
            names(&app),
            ["adatum", "contoso", "fabrikam", "northwind traders"]
        );
        press(&mut app, "s");
        assert_eq!(app.sort, Sort::Status);
        assert_eq!(
            names(&app),
            ["adatum", "contoso", "northwind traders", "fabrikam"]
        );
        press(&mut app, "s");
        assert_eq!(
            names(&app),
            ["adatum", "contoso", "northwind traders", "fabrikam"]
        );
        press(&mut app, "s");
        assert_eq!(app.sort, Sort::Name);
    }

    #[test]
    fn the_filter_is_typed_after_a_slash_and_keeps_the_selection_on_its_account() {
        let mut app = app();
        press(&mut app, "jj");
        assert_eq!(app.accounts.current().unwrap().name, "fabrikam");
        press(&mut app, "/");
        assert!(app.typing);
        // Keys are text while typing: no refresh, no quitting.
        assert_eq!(press(&mut app, "rq"), vec![]);
        assert_eq!(names(&app), Vec::<&str>::new());
        code(&mut app, KeyCode::Backspace);
        code(&mut app, KeyCode::Backspace);
        press(&mut app, "A");
        assert_eq!(
            names(&app),
            ["adatum", "fabrikam", "northwind traders"],
            "any case"
        );
        assert_eq!(app.accounts.current().unwrap().name, "fabrikam");
        code(&mut app, KeyCode::Enter);
        assert!(!app.typing);
        assert_eq!(app.filter, "A");
        // Esc clears the filter before it quits.
        assert_eq!(code(&mut app, KeyCode::Esc), None);
        assert_eq!(names(&app).len(), 4);
        assert_eq!(code(&mut app, KeyCode::Esc), Some(Effect::Quit));
    }

    #[test]
    fn r_refreshes_the_selected_account_unless_the_role_may_not() {
        let mut app = app();
        assert_eq!(press(&mut app, "jr"), vec![Effect::Refresh(AccountId(1))]);
        app.planned(AccountId(1), "added", 2);
        assert_eq!(press(&mut app, "r"), vec![], "already running from here");
        assert!(app.message.as_ref().unwrap().0.contains("being refreshed"));
        app.refresh_refused = Some("user 'v' (viewer) may not refresh accounts".into());
        assert_eq!(press(&mut app, "jr"), vec![]);
        assert_eq!(
            app.message,
            Some((
                "user 'v' (viewer) may not refresh accounts".into(),
                Tone::Error
            ))
        );
    }

    #[test]
    fn quitting_with_tasks_running_asks_once_more_and_ctrl_c_never_asks() {
        let mut app = app();
        app.planned(AccountId(1), "added", 2);
        assert_eq!(press(&mut app, "q"), vec![]);
        assert_eq!(app.message.as_ref().unwrap().1, Tone::Warn);
        assert_eq!(press(&mut app, "q"), vec![Effect::Quit]);
        let mut app = tests::app();
        app.planned(AccountId(1), "added", 2);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.key(ctrl_c), Some(Effect::Interrupt));
        app.typing = true;
        assert_eq!(
            app.key(ctrl_c),
            Some(Effect::Interrupt),
            "even while typing"
        );
    }

    #[test]
    fn views_open_and_go_back_and_help_returns_where_it_was() {
        let mut app = app();
        assert_eq!(press(&mut app, "t"), vec![Effect::Reload]);
        assert_eq!(app.view, View::Tasks);
        assert_eq!(press(&mut app, "a"), vec![Effect::Reload]);
        assert!(app.automated);
        press(&mut app, "?");
        assert_eq!(app.view, View::Help);
        press(&mut app, "x");
        assert_eq!(app.view, View::Tasks);
        assert_eq!(
            code(&mut app, KeyCode::Enter),
            None,
            "no task: nothing to open"
        );
        press(&mut app, "l");
        assert_eq!(app.view, View::Logs);
        assert_eq!(code(&mut app, KeyCode::Esc), None);
        assert_eq!(app.view, View::Accounts);
    }

    #[test]
    fn the_selection_stays_in_the_list_and_follows_its_account_across_reads() {
        let mut app = app();
        press(&mut app, "kkk");
        assert_eq!(app.accounts.selected, 0);
        code(&mut app, KeyCode::End);
        assert_eq!(app.accounts.current().unwrap().name, "northwind traders");
        code(&mut app, KeyCode::PageDown);
        assert_eq!(app.accounts.selected, 3);
        press(&mut app, "k");
        let was = app.accounts.current().unwrap().id;
        let mut again = vec![account(9, "aaa first", AccountStatus::Active, Some(0))];
        again.extend(app.accounts.items.clone());
        app.set_accounts(again).unwrap();
        assert_eq!(app.accounts.current().unwrap().id, was);
    }

    #[test]
    fn the_bottom_line_is_the_tooltip_on_a_refreshable_account() {
        let mut app = app();
        assert_eq!(app.accounts.current().unwrap().name, "adatum");
        assert_eq!(app.hint(), format!("↻ {NEW_ACTIVITY}  (r)"));
        press(&mut app, "jj");
        assert_eq!(app.accounts.current().unwrap().name, "fabrikam");
        assert!(app.hint().starts_with("r refresh"), "{}", app.hint());
    }
}
