//! `nfa ui` through the real binary on a pty (script(1)), its screen read
//! back with a terminal emulator (vt100): keys in, the screen, the database
//! and the exit code out.

use super::*;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// `nfa ui` running on an 80×24 pty.
struct Screen {
    child: Child,
    stdin: std::process::ChildStdin,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Screen {
    fn start(s: &Sandbox) -> Screen {
        Screen::start_with(s, &[], "ui")
    }

    /// `nfa <args>` (a command line of words) with `env` besides the
    /// sandbox's (which sets `NO_COLOR`).
    fn start_with(s: &Sandbox, env: &[(&str, String)], args: &str) -> Screen {
        Screen::start_line(
            s,
            env,
            &format!("exec {} {args}", env!("CARGO_BIN_EXE_nfa")),
        )
    }

    /// `line` run by the shell on an 80×24 pty.
    fn start_line(s: &Sandbox, env: &[(&str, String)], line: &str) -> Screen {
        let like = s.cmd();
        let mut c = Command::new("script");
        c.env_clear();
        for (k, v) in like.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c
            .env("TERM", "xterm")
            .current_dir(like.get_current_dir().unwrap())
            .args([
                "-qefc",
                &format!("stty cols 80 rows 24; {line}"),
                "/dev/null",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script(1)");
        let stdin = child.stdin.take().unwrap();
        let mut out = child.stdout.take().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(24).unwrap(),
            std::num::NonZeroU16::new(80).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(vec![]));
        let reader = {
            let (parser, raw) = (parser.clone(), raw.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = std::io::Read::read(&mut out, &mut buf) {
                    if n == 0 {
                        break;
                    }
                    parser.lock().unwrap().process(&buf[..n]);
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            })
        };
        Screen {
            child,
            stdin,
            parser,
            raw,
            reader: Some(reader),
        }
    }

    /// The vt100 screen the output is read into, made `rows`×`cols`.
    fn resize_reader(&self, rows: u16, cols: u16) {
        let n = |v: u16| std::num::NonZeroU16::new(v).unwrap();
        self.parser.lock().unwrap().set_size(n(rows), n(cols));
    }

    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits (20 s at most) until the screen shows `what`.
    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text();
            if text.contains(what) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what:?}; it shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The screen's line that contains `what`.
    fn line_of(&self, what: &str) -> String {
        self.text()
            .lines()
            .find(|l| l.contains(what))
            .unwrap_or_default()
            .to_string()
    }

    fn press(&mut self, keys: &str) {
        self.stdin.write_all(keys.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
        // One key at a time, as a person types (Esc then a key would read
        // as Alt+key).
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Waits for the end: the exit code and what went to the terminal.
    fn end(mut self) -> (Option<i32>, Vec<u8>) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            assert!(Instant::now() < deadline, "nfa ui did not exit");
            std::thread::sleep(Duration::from_millis(50));
        };
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        let raw = self.raw.lock().unwrap().clone();
        (status.code(), raw)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The terminal was given back: the alternate screen left and the cursor
/// shown again, after the last frame.
fn restored(raw: &[u8]) -> bool {
    let text = String::from_utf8_lossy(raw);
    match (text.rfind("\x1b[?1049h"), text.rfind("\x1b[?1049l")) {
        (Some(entered), Some(left)) => left > entered && text[entered..].contains("\x1b[?25h"),
        _ => false,
    }
}

#[test]
fn j_r_refreshes_the_selected_account_as_the_command_does_and_q_restores_the_terminal() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(1500));
    s.add("contoso", &f, &[]);
    s.add("fabrikam", &f, &[]);
    let mut ui = Screen::start(&s);
    let text = ui.wait_for("fabrikam");
    assert!(text.contains("Accounts 2/2"), "{text}");
    // On a ↻ account the bottom line is the article's tooltip.
    assert!(
        text.contains("↻ Update AD cache, check Azure and O365 status"),
        "{text}"
    );
    assert!(ui.line_of("contoso").contains("STALE"), "{text}");
    // j: the second row, fabrikam, is the one refreshed.
    ui.press("j");
    ui.press("r");
    // The message line is the command's: the portal's sentence.
    ui.wait_for("successfully added and will be");
    ui.wait_for("⟳");
    let tasks = s.json(&["tasks", "--show-automated"]);
    assert_eq!(tasks.count(), 3, "{tasks}");
    assert!(tasks.items().iter().all(|t| t["account"] == "fabrikam"));
    // When its tasks end, the row says so.
    ui.wait_for("fabrikam: STALE → ACTIVE");
    assert!(ui.line_of(" fabrikam ").contains("ACTIVE"), "{}", ui.text());
    assert!(ui.line_of(" contoso ").contains("STALE"), "{}", ui.text());
    let done = s.json(&["tasks", "--show-automated"]);
    assert!(
        done.items().iter().all(|t| t["status"] == "COMPLETE"),
        "{done}"
    );
    let fabrikam = s.json(&["accounts", "show", "fabrikam"]);
    assert_eq!(fabrikam["status"], "ACTIVE", "{fabrikam}");
    // Within the refresh window the policy deduplicates, as the command's.
    ui.press("r");
    ui.wait_for("An earlier refresh task (activity #1, COMPLETE)");
    let tasks = s.json(&["tasks", "--show-automated"]);
    assert_eq!(tasks.count(), 4, "its activity only: {tasks}");
    assert_eq!(tasks[0]["decision"], "deduplicated", "{tasks}");
    // t, Enter, l and back.
    ui.press("t");
    ui.wait_for("Management tasks");
    ui.press("a");
    ui.wait_for("Update AD cache");
    ui.press("G");
    ui.press("\r");
    ui.wait_for("children: 2");
    ui.press("\x1b");
    ui.wait_for("Management tasks");
    ui.press("l");
    ui.wait_for("System log");
    ui.wait_for("account added");
    ui.press("q");
    ui.wait_for("Accounts 2/2");
    ui.press("q");
    let (code, raw) = ui.end();
    assert_eq!(code, Some(0));
    assert!(restored(&raw), "the terminal was not restored");
    // NO_COLOR (the sandbox sets it): not one colour was drawn.
    assert!(
        !String::from_utf8_lossy(&raw).contains("\x1b[38;5;"),
        "a colour under NO_COLOR"
    );
}

#[test]
fn a_resized_terminal_is_laid_out_again() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("northwind-traders-worldwide-holdings", &f, &[]);
    // The pty is made 120×40 (the kernel then signals nfa) once the test
    // says so by creating `go`; the watcher gives up after 20 s.
    let go = s.path("go");
    let line = format!(
        "(for i in $(seq 400); do [ -e '{go}' ] && exec stty cols 120 rows 40 < /dev/tty; sleep 0.05; done) & exec {nfa} ui",
        go = go.display(),
        nfa = env!("CARGO_BIN_EXE_nfa"),
    );
    let mut ui = Screen::start_line(&s, &[], &line);
    let text = ui.wait_for("northwind-traders-worldwide-holdings");
    // At 80 columns the long name leaves no room for the groups column.
    assert!(!ui.line_of(" id ").contains("groups"), "{text}");
    ui.resize_reader(40, 120);
    std::fs::write(&go, "").unwrap();
    let text = ui.wait_for("groups");
    assert!(ui.line_of(" id ").contains("groups"), "{text}");
    // The key line is at the new bottom, row 40.
    let rows: Vec<&str> = text.lines().collect();
    assert!(
        rows.len() == 40 && rows[39].contains("Update AD cache"),
        "{text}"
    );
    ui.press("q");
    let (code, raw) = ui.end();
    assert_eq!(code, Some(0));
    assert!(restored(&raw), "the terminal was not restored");
}

#[test]
fn color_always_colours_the_status_over_no_color() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    let mut ui = Screen::start_with(&s, &[], "--color always ui");
    ui.wait_for("contoso");
    ui.press("q");
    let (code, raw) = ui.end();
    assert_eq!(code, Some(0));
    // STALE in yellow (ANSI 3; crossterm writes it with the background
    // in one sequence: `38;5;3;49m`).
    assert!(
        String::from_utf8_lossy(&raw).contains("\x1b[38;5;3"),
        "no yellow status under --color always"
    );
}

#[test]
fn ctrl_c_ends_the_screens_running_tasks_interrupted_and_exits_130() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &slow(10_000));
    s.add("contoso", &f, &[]);
    let mut ui = Screen::start(&s);
    ui.wait_for("contoso");
    ui.press("r");
    ui.wait_for("⟳ 0/2 Update AD cache");
    ui.press("\x03");
    let (code, raw) = ui.end();
    assert_eq!(code, Some(130));
    assert!(restored(&raw), "the terminal was not restored");
    assert_both_tasks_interrupted(&s, "Ctrl-C");
}

/// The refresh's two tasks ended ERROR "interrupted" (`how` says after what).
fn assert_both_tasks_interrupted(s: &Sandbox, how: &str) {
    let tasks = s.json(&["tasks", "--show-automated"]);
    let children: Vec<&Value> = tasks
        .items()
        .iter()
        .filter(|t| !t["parent_id"].is_null())
        .collect();
    assert_eq!(children.len(), 2, "{how}: {tasks}");
    for t in children {
        assert_eq!(t["status"], "ERROR", "{how}: {t}");
        assert_eq!(t["error"], "interrupted", "{how}: {t}");
    }
}

/// Whether process `pid` has ended (gone, or a zombie no one reaps).
fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S ...": the state after the command's parenthesis.
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

#[test]
fn a_terminal_that_goes_away_ends_the_screen_and_its_tasks_interrupted() {
    let nfa = env!("CARGO_BIN_EXE_nfa");
    // nfa the terminal's session leader (the kernel signals it), and nfa
    // under a leader that ignores the hangup (nothing signals it; its
    // writes to the terminal fail).
    for leader in [true, false] {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &slow(10_000));
        s.add("contoso", &f, &[]);
        let pid_file = s.path("pid");
        let line = match leader {
            true => format!("echo $$ > '{}'; exec {nfa} ui", pid_file.display()),
            false => format!(
                "trap '' HUP; sh -c \"echo \\$\\$ > '{}'; exec {nfa} ui\"; exit",
                pid_file.display()
            ),
        };
        let mut ui = Screen::start_line(&s, &[], &line);
        ui.wait_for("contoso");
        ui.press("r");
        ui.wait_for("⟳ 0/2 Update AD cache");
        let pid: u32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // script(1) killed: the pty's other end is closed, as when a
        // terminal window is closed or an ssh connection drops.
        ui.child.kill().unwrap();
        ui.child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        while !ended(pid) {
            if Instant::now() > deadline {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                panic!("nfa ui still ran 15 s after its terminal went away (leader: {leader})");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_both_tasks_interrupted(&s, &format!("the terminal gone (leader: {leader})"));
    }
}

#[test]
fn another_engineers_refresh_shows_on_the_screen_and_the_filter_narrows_it() {
    let s = Sandbox::new();
    let f = s.fixture("t.json", &healthy());
    s.add("contoso", &f, &[]);
    s.add("fabrikam", &f, &[]);
    let mut ui = Screen::start(&s);
    ui.wait_for("fabrikam");
    assert!(ui.line_of("fabrikam").contains("STALE"));
    // Another process: the screen shows its result without a key.
    s.json(&["refresh", "fabrikam"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ui.line_of("fabrikam").contains("ACTIVE") {
        assert!(Instant::now() < deadline, "{}", ui.text());
        std::thread::sleep(Duration::from_millis(50));
    }
    ui.press("/");
    ui.press("fab");
    ui.press("\r");
    let text = ui.wait_for("Accounts 1/2");
    assert!(!text.contains("contoso"), "{text}");
    ui.press("q");
    assert_eq!(ui.end().0, Some(0));
}

#[test]
fn off_a_terminal_it_refuses_in_one_line() {
    let s = Sandbox::new();
    let out = s.run(&["ui"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("nfa ui needs a terminal"), "{err}");
}

postgres_only! {
    #[test]
    fn a_viewer_is_told_that_its_role_may_not_refresh() {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        s.add("contoso", &f, &[]);
        let viewer = Login::create(&s, "");
        s.json(&["team", "grant", &viewer.name, "--role", "viewer"]);
        let mut ui = Screen::start_with(&s, &[("NFA_DB", viewer.url(&s))], "ui");
        ui.wait_for("contoso");
        ui.press("r");
        ui.wait_for("(viewer) may not refresh accounts");
        assert_eq!(s.json(&["tasks", "--show-automated"]).count(), 0);
        ui.press("q");
        assert_eq!(ui.end().0, Some(0));
    }
}

postgres_only! {
    #[test]
    fn a_lost_connection_is_a_message_line_and_the_screen_goes_on() {
        let s = Sandbox::new();
        let f = s.fixture("t.json", &healthy());
        s.add("contoso", &f, &[]);
        let mut ui = Screen::start(&s);
        ui.wait_for("contoso");
        s.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'nfa ui' AND datname = current_database()",
        );
        ui.wait_for("cannot read the database");
        // It connects again: another engineer's refresh shows.
        s.json(&["refresh", "contoso"]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ui.line_of("contoso").contains("ACTIVE") {
            assert!(Instant::now() < deadline, "{}", ui.text());
            std::thread::sleep(Duration::from_millis(50));
        }
        ui.press("q");
        assert_eq!(ui.end().0, Some(0));
    }
}
