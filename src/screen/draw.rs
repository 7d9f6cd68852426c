//! Drawing the screen's state: the message line at the top, the view's
//! table (the commands' column declarations, laid out for the width, only
//! the visible rows drawn), the hint line at the bottom.

use super::state::{App, Running, Tone, View};
use crate::ops::logs::LogView;
use crate::ops::tasks::TaskView;
use crate::render::grid::Grid;
use crate::render::{Cell, Color as CellColor, cut_to, width};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Room kept at the end of an account's line for the progress of its
/// refresh from this screen.
const PROGRESS: usize = 24;

pub fn draw(f: &mut Frame<'_>, app: &App) {
    let area = f.area();
    if area.height < 3 || area.width < 10 {
        f.render_widget(Paragraph::new("too small"), area);
        return;
    }
    // The message line takes a second line when it needs one (the
    // portal's sentence is longer than 80 columns).
    let long = app
        .message
        .as_ref()
        .is_some_and(|(m, _)| width(m) > usize::from(area.width));
    let top = Rect {
        height: if long && area.height > 6 { 2 } else { 1 },
        ..area
    };
    let bottom = Rect {
        y: area.y + area.height - 1,
        height: 1,
        ..area
    };
    let body = Rect {
        y: area.y + top.height,
        height: area.height - 1 - top.height,
        ..area
    };
    f.render_widget(Paragraph::new(top_line(app)).wrap(Wrap { trim: true }), top);
    let lines = match app.view {
        View::Accounts => accounts(app, body),
        View::Tasks => table(
            app,
            &app.tasks.grid,
            &app.tasks.order,
            app.tasks.selected,
            body,
            "no task",
        ),
        View::Logs => table(
            app,
            &app.logs.grid,
            &app.logs.order,
            app.logs.selected,
            body,
            "no log line",
        ),
        View::Task(_) => task(app, body),
        View::Help => help(),
    };
    f.render_widget(Paragraph::new(lines), body);
    let hint = Line::from(cut(&app.hint(), usize::from(area.width)))
        .style(Style::new().add_modifier(Modifier::REVERSED));
    f.render_widget(Paragraph::new(hint), bottom);
}

/// The message line, or the title.
fn top_line(app: &App) -> Line<'static> {
    let width = 400;
    match &app.message {
        Some((text, tone)) => {
            let style = match (app.style.color, tone) {
                (false, Tone::Info) => Style::new(),
                (false, _) => Style::new().add_modifier(Modifier::BOLD),
                (true, Tone::Info) => Style::new().fg(Color::Cyan),
                (true, Tone::Warn) => Style::new().fg(Color::Yellow),
                (true, Tone::Error) => Style::new().fg(Color::Red),
            };
            Line::from(Span::styled(cut(text, width), style))
        }
        None => {
            let what = match app.view {
                View::Accounts => format!(
                    "Accounts {}/{} · sorted by {}",
                    app.accounts.order.len(),
                    app.accounts.items.len(),
                    app.sort.word()
                ),
                View::Tasks => format!("Management tasks {}", app.tasks.order.len()),
                View::Logs => format!("System log {}", app.logs.order.len()),
                View::Task(id) => format!("Task {id}"),
                View::Help => "Keys".to_string(),
            };
            let filter = match app.filter.is_empty() {
                true => String::new(),
                false => format!(" · filter \"{}\"", app.filter),
            };
            Line::from(format!("nfa · {what}{filter} · {}", app.title))
                .style(Style::new().add_modifier(Modifier::BOLD))
        }
    }
}

/// `text` cut to `w` columns with `…`.
fn cut(text: &str, w: usize) -> String {
    let text = crate::render::for_terminal(text, false);
    match width(&text) > w {
        true => cut_to(&text, w),
        false => text.into_owned(),
    }
}

fn color(c: Option<CellColor>) -> Style {
    match c {
        None => Style::new(),
        Some(CellColor::Green) => Style::new().fg(Color::Green),
        Some(CellColor::Yellow) => Style::new().fg(Color::Yellow),
        Some(CellColor::Red) => Style::new().fg(Color::Red),
        Some(CellColor::Cyan) => Style::new().fg(Color::Cyan),
    }
}

fn spans(pieces: Vec<Cell>) -> Vec<Span<'static>> {
    pieces
        .into_iter()
        .map(|(text, c)| Span::styled(text, color(c)))
        .collect()
}

/// The first row shown so that `selected` is on the page of `rows` rows.
fn first_shown(selected: usize, rows: usize) -> usize {
    match rows {
        0 => 0,
        rows => selected / rows * rows,
    }
}

/// A table on the screen: `grid`'s rows in `order`, the `selected` one
/// highlighted, `room` columns kept at the end of each line for `extra`
/// (the accounts' progress).
struct Table<'a> {
    grid: &'a Grid,
    order: &'a [usize],
    selected: usize,
    room: usize,
    extra: &'a dyn Fn(usize) -> Option<Span<'static>>,
    /// What an empty list says.
    empty: &'a str,
}

fn rows(app: &App, t: &Table<'_>, area: Rect) -> Vec<Line<'static>> {
    let width = usize::from(area.width);
    let layout = t.grid.layout(width.saturating_sub(t.room).max(10));
    let mut lines = vec![
        Line::from(spans(t.grid.header(&layout)))
            .style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)),
    ];
    if t.order.is_empty() {
        let what = match app.filter.is_empty() {
            true => format!("({})", t.empty),
            false => format!("({} matches \"{}\")", t.empty, app.filter),
        };
        lines.push(Line::from(what));
        return lines;
    }
    let page = usize::from(area.height).saturating_sub(1);
    let start = first_shown(t.selected, page);
    let table_width: usize = lines[0].spans.iter().map(|s| width_of(&s.content)).sum();
    for (n, &i) in t.order.iter().enumerate().skip(start).take(page) {
        let mut s = spans(t.grid.line(i, &layout));
        if let Some(e) = (t.extra)(i) {
            // After the table's last column, whatever this row's last
            // cell holds.
            let used: usize = s.iter().map(|s| width_of(&s.content)).sum();
            s.push(Span::raw(" ".repeat(table_width.saturating_sub(used))));
            s.push(e);
        }
        let mut line = Line::from(s);
        if n == t.selected {
            // The whole width, so that the selection reads as a bar.
            let used: usize = line.spans.iter().map(|s| width_of(&s.content)).sum();
            line.spans
                .push(Span::raw(" ".repeat(width.saturating_sub(used))));
            line = line.style(Style::new().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    lines
}

fn width_of(s: &str) -> usize {
    width(s)
}

fn table(
    app: &App,
    grid: &Grid,
    order: &[usize],
    selected: usize,
    area: Rect,
    empty: &str,
) -> Vec<Line<'static>> {
    let t = Table {
        grid,
        order,
        selected,
        room: 0,
        extra: &|_| None,
        empty,
    };
    rows(app, &t, area)
}

fn accounts(app: &App, area: Rect) -> Vec<Line<'static>> {
    let l = &app.accounts;
    let extra = |i: usize| {
        let r = app.running.get(&l.items[i].id)?;
        Some(Span::styled(
            progress(r),
            match app.style.color {
                true => Style::new().fg(Color::Cyan),
                false => Style::new(),
            },
        ))
    };
    let t = Table {
        grid: &l.grid,
        order: &l.order,
        selected: l.selected,
        room: match app.running.is_empty() {
            true => 0,
            false => PROGRESS,
        },
        extra: &extra,
        empty: if app.read { "no account" } else { "reading…" },
    };
    rows(app, &t, area)
}

/// `⟳ 1/2 Update AD cache`, to fit [`PROGRESS`].
fn progress(r: &Running) -> String {
    let mut text = format!(" ⟳ {}/{}", r.done, r.total);
    if let Some(name) = r.current {
        text.push(' ');
        text.push_str(name);
    }
    cut(&text, PROGRESS)
}

/// A task: its fields, its children, their log lines.
fn task(app: &App, area: Rect) -> Vec<Line<'static>> {
    let Some(d) = &app.detail else {
        return vec![Line::from("(reading…)")];
    };
    let t = &d.task;
    let w = usize::from(area.width);
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(crate::domain::time::format_time).unwrap_or_default()
    };
    let fields = [
        ("task", format!("{} · {}", t.id, t.name)),
        ("account", t.account.clone()),
        ("status", t.status.to_string()),
        ("user", t.user.clone().unwrap_or_default()),
        ("created", time(Some(t.created_at))),
        ("started", time(t.started_at)),
        ("finished", time(t.finished_at)),
        ("description", t.description.clone().unwrap_or_default()),
        ("error", t.error.clone().unwrap_or_default()),
    ];
    let mut lines: Vec<Line<'static>> = fields
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let style = match (k, app.style.color) {
                ("status", true) => color(crate::render::status_color(&v)),
                _ => Style::new(),
            };
            Line::from(vec![
                Span::styled(
                    format!(" {k:<12}"),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::styled(cut(&v, w.saturating_sub(14)), style),
            ])
        })
        .collect();
    let sub = |title: String, grid: Result<Grid, anyhow::Error>, lines: &mut Vec<Line<'static>>| {
        lines.push(Line::from(""));
        lines.push(Line::from(title).style(Style::new().add_modifier(Modifier::BOLD)));
        match grid {
            Ok(g) if !g.is_empty() => {
                let layout = g.layout(w);
                lines.push(Line::from(spans(g.header(&layout))));
                for i in 0..g.len() {
                    lines.push(Line::from(spans(g.line(i, &layout))));
                }
            }
            Ok(_) => lines.push(Line::from(" (none)")),
            Err(e) => lines.push(Line::from(format!(" {e:#}"))),
        }
    };
    sub(
        format!("children: {}", d.children.len()),
        Grid::of::<TaskView>(&d.children, app.style),
        &mut lines,
    );
    sub(
        format!("log lines: {}", d.logs.len()),
        Grid::of::<LogView>(&d.logs, app.style),
        &mut lines,
    );
    let skip = app
        .detail_scroll
        .min(lines.len().saturating_sub(usize::from(area.height)));
    lines.into_iter().skip(skip).collect()
}

const KEYS: &[(&str, &str)] = &[
    ("j k ↓ ↑", "move (PgDn PgUp, g G: first, last)"),
    ("r", "refresh the account, as nfa refresh (the same policy)"),
    (
        "t",
        "management tasks (Enter: a task, its children and log lines)",
    ),
    ("a", "in tasks: show or hide automated tasks"),
    ("l", "the system log"),
    ("/", "filter by account name (Enter keeps, Esc clears)"),
    ("s", "sort the accounts: name, status, activity"),
    ("?", "this help"),
    ("q Esc", "back; on the accounts, quit"),
    (
        "Ctrl-C",
        "quit; this screen's running tasks end \"interrupted\"",
    ),
];

fn help() -> Vec<Line<'static>> {
    KEYS.iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(
                    format!(" {k:<10}"),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw((*what).to_string()),
            ])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::state::tests::{app, at};
    use super::super::state::{Running, Tone, View};
    use super::*;
    use crate::domain::ids::{AccountId, TaskId};
    use crate::domain::task::{TaskKind, TaskStatus};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(app: &App, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| draw(f, app)).unwrap();
        t.backend().to_string()
    }

    fn task(id: i64, parent: Option<i64>, kind: TaskKind, status: TaskStatus) -> TaskView {
        TaskView {
            id: TaskId(id),
            parent_id: parent.map(TaskId),
            account_id: AccountId(1),
            account: "contoso".into(),
            user: Some("dave".into()),
            kind,
            name: kind.display_name(),
            automated: parent.is_some(),
            status,
            decision: None,
            description: Some("Update AD cache, check Azure and O365 status".into()),
            error: (status == TaskStatus::Error)
                .then(|| "AADSTS7000215: invalid client secret".into()),
            created_at: at("2026-12-01T07:00:00Z"),
            started_at: Some(at("2026-12-01T07:00:01Z")),
            finished_at: None,
        }
    }

    #[test]
    fn the_accounts_at_80_by_24_and_120_by_40() {
        let app = app();
        insta::assert_snapshot!("accounts-80x24", screen(&app, 80, 24));
        insta::assert_snapshot!("accounts-120x40", screen(&app, 120, 40));
    }

    #[test]
    fn a_refresh_from_the_screen_its_sentence_on_two_lines_and_its_progress_in_the_row() {
        let mut app = app();
        app.planned(AccountId(1), crate::ops::refresh::TASKS_ADDED, 2);
        app.running.insert(
            AccountId(1),
            Running {
                done: 1,
                total: 2,
                current: Some("Checking account status"),
            },
        );
        insta::assert_snapshot!("accounts-refreshing-80x24", screen(&app, 80, 24));
    }

    #[test]
    fn the_tasks_a_task_and_help() {
        let mut app = app();
        app.set_tasks(vec![
            task(
                3,
                Some(1),
                TaskKind::AzureAdminAndO365Status,
                TaskStatus::Error,
            ),
            task(2, Some(1), TaskKind::UpdateAdCache, TaskStatus::Complete),
            task(1, None, TaskKind::UpdatingAccountStatus, TaskStatus::Error),
        ])
        .unwrap();
        app.view = View::Tasks;
        insta::assert_snapshot!("tasks-80x24", screen(&app, 80, 24));
        insta::assert_snapshot!("tasks-120x40", screen(&app, 120, 40));
        app.view = View::Task(TaskId(1));
        app.detail = Some(crate::ops::tasks::TaskDetail {
            task: task(1, None, TaskKind::UpdatingAccountStatus, TaskStatus::Error),
            children: vec![
                task(2, Some(1), TaskKind::UpdateAdCache, TaskStatus::Complete),
                task(
                    3,
                    Some(1),
                    TaskKind::AzureAdminAndO365Status,
                    TaskStatus::Error,
                ),
            ],
            logs: vec![],
        });
        insta::assert_snapshot!("task-80x24", screen(&app, 80, 24));
        insta::assert_snapshot!("task-120x40", screen(&app, 120, 40));
        app.view = View::Help;
        insta::assert_snapshot!("help-80x24", screen(&app, 80, 24));
        insta::assert_snapshot!("help-120x40", screen(&app, 120, 40));
    }

    #[test]
    fn the_system_log() {
        use crate::domain::log::{Level, LogEvent};
        let mut app = app();
        let line = |id: i64, level: Level, event: LogEvent, detail: Option<&str>| {
            LogView::from(crate::model::LogLine {
                id,
                time: at("2026-12-01T07:00:00Z") + chrono::TimeDelta::seconds(id),
                level,
                task_id: Some(TaskId(2)),
                account_id: Some(AccountId(1)),
                event,
                detail: detail.map(str::to_string),
                account: Some("contoso".into()),
                user: Some("dave".into()),
            })
        };
        app.set_logs(vec![
            line(
                2,
                Level::Error,
                LogEvent::Text,
                Some("AADSTS7000215: invalid client secret"),
            ),
            line(
                1,
                Level::Info,
                LogEvent::Started(TaskKind::UpdateAdCache),
                None,
            ),
        ])
        .unwrap();
        app.view = View::Logs;
        insta::assert_snapshot!("logs-80x24", screen(&app, 80, 24));
        insta::assert_snapshot!("logs-120x40", screen(&app, 120, 40));
    }

    #[test]
    fn a_filter_that_matches_nothing_and_a_warning() {
        let mut app = app();
        app.filter = "zzz".into();
        app.set_accounts(app.accounts.items.clone()).unwrap();
        app.say(
            "cannot read the database (connection refused); trying again",
            Tone::Warn,
        );
        insta::assert_snapshot!("accounts-filtered-80x24", screen(&app, 80, 24));
    }
}
