//! `nfa ui` at 5,000 accounts: the time to draw one frame (80×24 and
//! 120×40, on ratatui's TestBackend, the selection moving a page at a
//! time), and the time to take in a read of them (their cells, every 2 s),
//! beside the goal of a frame in under 50 ms.
//!
//!   benches/screen.sh [ACCOUNTS]   (cargo bench --bench screen -- ACCOUNTS)

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use chrono::TimeDelta;
use nfa::domain::ids::AccountId;
use nfa::domain::status::{AccountStatus, Lifecycle};
use nfa::ops::accounts::AccountView;
use nfa::screen::state::App;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use std::time::Instant;

fn main() {
    let n: i64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5_000);
    let now = nfa::domain::time::parse_time("2026-12-01T08:00:00Z").unwrap();
    let statuses = [
        AccountStatus::Active,
        AccountStatus::Stale,
        AccountStatus::Inactive,
        AccountStatus::Dormant,
    ];
    let accounts: Vec<AccountView> = (0..n)
        .map(|i| {
            let status = statuses[usize::try_from(i % 4).unwrap()];
            AccountView {
                id: AccountId(i + 1),
                name: format!("customer {i:05} holdings"),
                tenant_id: Some(format!("{i:08x}-0000-0000-0000-000000000000")),
                source: "fixture:t.json".into(),
                status,
                refresh_available: status.refresh_available(),
                lifecycle: Lifecycle::Ready,
                last_activity_at: Some(now - TimeDelta::hours(i % 2000)),
                ad_cache_updated_at: Some(now - TimeDelta::hours(i % 100)),
                last_check_at: Some(now),
                last_check_ok: Some(i % 7 != 0),
                ad_users: i * 13 % 5000,
                ad_groups: i % 300,
                created_at: now - TimeDelta::days(400),
            }
        })
        .collect();
    let style = nfa::render::Style {
        terminal: true,
        color: true,
        now,
    };
    let mut app = App::new("nfa.db".into(), style, false);
    let reads = 10;
    let t = Instant::now();
    for _ in 0..reads {
        app.set_accounts(accounts.clone()).unwrap();
    }
    let read_ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(reads);
    println!("{n} accounts");
    println!("{:<34} {:>9}   goal", "", "ms");
    println!(
        "{:<34} {read_ms:>9.2}   (every 2 s, between frames)",
        "a read taken in (cells, order)"
    );
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let frames = 200;
        let t = Instant::now();
        for _ in 0..frames {
            app.key(KeyEvent::from(KeyCode::PageDown));
            term.draw(|f| nfa::screen::draw::draw(f, &app)).unwrap();
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(frames);
        let ok = if ms < 50.0 { "ok" } else { "OVER" };
        println!(
            "{:<34} {ms:>9.3}   < 50 {ok}",
            format!("a frame at {w}x{h}")
        );
    }
}
