//! Output: one sink per format, chosen once — [`table`] for people,
//! [`json`] (one array for a list, one object for one thing) and [`csv`] (a
//! header row, then a row an item). Every value comes from the item's
//! `Serialize` impl, so the formats cannot disagree; how a table shows a
//! column (and what gives way on a narrow terminal) comes from the view's
//! declared [`Column`]s, never from a header or a cell's text.

mod csv;
mod flat;
pub mod grid;
mod json;
mod layout;
mod scalar;
mod table;
mod terminal;

pub use layout::Layout;
pub use table::{Cell, Color, Style, status_color};
pub use terminal::{cut_to, for_terminal, width};

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;
use std::io::{IsTerminal, Write};

/// When to colour the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always (even into a pipe, and over `NO_COLOR`).
    Always,
    Never,
}

/// What the renderer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// The `-o` choices: a format, and for tables how wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Output {
    /// Tables for people: on a terminal, fitted to its width (free text cut
    /// with …, secondary columns left out)
    #[default]
    Table,
    /// Tables with every column and nothing cut, even on a terminal
    Wide,
    /// JSON: one array for a list, one object for one thing
    Json,
    /// CSV: a header row, then a row an item
    Csv,
}

/// What a column holds, which says how a table shows it and what it may
/// do on a narrow terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An id or a key: never cut.
    Id,
    /// A name: cut last, with `…`.
    Name,
    /// A status: coloured, never cut.
    Status,
    /// A word of a closed vocabulary (a decision, a level): coloured.
    Word,
    /// The refresh marker: `↻` when true.
    Marker,
    /// A yes/no.
    Flag,
    /// A time, to the second.
    Time,
    /// A time that a terminal shows as how long ago (`3d ago`).
    Age,
    /// A log line's time: on a terminal without its year.
    Clock,
    /// A number.
    Count,
    /// Free text: cut first, keeping at least 20 columns.
    Text,
}

/// Where a column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Always,
    /// Only on a terminal (a cell worded for people, say).
    Terminal,
    /// Only off a terminal and with `-o wide`.
    Wide,
}

/// A column of a table: the field (or [`Columns::table_text`] key) it
/// shows, its header, its kind, and when a terminal is too narrow its
/// priority: `drop(1)` is left out first, then `drop(2)`…; 0 (the
/// default) never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub key: &'static str,
    pub header: &'static str,
    pub kind: Kind,
    pub drop: u8,
    pub show: Show,
}

impl Column {
    pub const fn new(key: &'static str, header: &'static str, kind: Kind) -> Column {
        Column {
            key,
            header,
            kind,
            drop: 0,
            show: Show::Always,
        }
    }

    /// Left out on a narrow terminal, in order `n` (1 first).
    pub const fn drop(self, n: u8) -> Column {
        Column { drop: n, ..self }
    }

    /// Shown only on a terminal.
    pub const fn terminal(self) -> Column {
        Column {
            show: Show::Terminal,
            ..self
        }
    }

    /// Shown only off a terminal and with `-o wide`.
    pub const fn wide(self) -> Column {
        Column {
            show: Show::Wide,
            ..self
        }
    }

    fn shows(&self, on_terminal: bool) -> bool {
        match self.show {
            Show::Always => true,
            Show::Terminal => on_terminal,
            Show::Wide => !on_terminal,
        }
    }
}

/// What a type shows as a row.
pub trait Columns: Serialize {
    /// The keys of the CSV columns, in order.
    const CSV: &'static [&'static str];
    /// The columns of the human table.
    const COLUMNS: &'static [Column];

    /// A table cell worded for people rather than taken from the field of
    /// that key (which JSON and CSV keep as it is).
    fn table_text(&self, _key: &str) -> Option<String> {
        None
    }
}

pub struct Renderer {
    pub format: Format,
    color: bool,
    /// The terminal's width when standard output is one (`COLUMNS` when
    /// set): tables are fitted to it. `None` off a terminal and with
    /// `-o wide`: every column, nothing cut.
    width: Option<usize>,
    /// "Now", for the ages a terminal shows ("3d ago").
    now: chrono::DateTime<chrono::Utc>,
    out: std::io::Stdout,
    /// Whether notes for people go to standard error (a terminal, no `-q`).
    notes: bool,
}

impl Renderer {
    /// `--color auto` colours only on a terminal, and never when `NO_COLOR`
    /// is set; `always` and `never` say so. JSON and CSV are never coloured.
    /// With `quiet`, no note on standard error (an empty table says
    /// nothing).
    pub fn new(
        output: Output,
        choice: ColorChoice,
        now: chrono::DateTime<chrono::Utc>,
        quiet: bool,
    ) -> Renderer {
        let format = match output {
            Output::Table | Output::Wide => Format::Table,
            Output::Json => Format::Json,
            Output::Csv => Format::Csv,
        };
        let out = std::io::stdout();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match choice {
            ColorChoice::Auto => out.is_terminal() && !no_color,
            ColorChoice::Always => true,
            ColorChoice::Never => false,
        };
        let width = (out.is_terminal() && output == Output::Table).then(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse().ok())
                .or_else(|| {
                    console::Term::stdout()
                        .size_checked()
                        .map(|(_, w)| usize::from(w))
                })
                .unwrap_or(80)
        });
        Renderer {
            format,
            color,
            width,
            now,
            out,
            notes: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Writes a line of text to standard output (table mode narration),
    /// control characters escaped (line breaks kept).
    pub fn line(&self, text: &str) -> Result<()> {
        let mut out = self.out.lock();
        writeln!(out, "{}", for_terminal(text, true))?;
        Ok(())
    }

    /// Whether tables are coloured (`--color`, `NO_COLOR`, a terminal).
    pub fn colored(&self) -> bool {
        self.color
    }

    /// How a table words its cells here.
    fn style(&self) -> Style {
        Style {
            terminal: self.width.is_some(),
            color: self.color,
            now: self.now,
        }
    }

    /// One item of a stream that has no end (`logs --follow`): a JSON
    /// object a line, a CSV row (after the header, once), or a line for
    /// people made by `human`.
    pub fn stream_item<T: Columns>(
        &self,
        item: &T,
        header: &mut bool,
        human: impl FnOnce(&T) -> String,
    ) -> Result<()> {
        let mut out = self.out.lock();
        match self.format {
            Format::Json => json::stream_item(&mut out, item)?,
            Format::Csv => csv::stream_row(&mut out, item, header)?,
            Format::Table => writeln!(out, "{}", for_terminal(&human(item), false))?,
        }
        out.flush()?;
        Ok(())
    }

    /// Starts a list; push items, then `finish`. JSON and CSV stream; a
    /// table is laid out from its first 1,000 rows, then streams.
    pub fn list<T: Columns>(&self) -> Result<ListWriter<'_, T>> {
        let buffered = || std::io::BufWriter::with_capacity(64 * 1024, self.out.lock());
        let sink = match self.format {
            Format::Json => Sink::Json(json::JsonList::new(), buffered()),
            Format::Csv => Sink::Csv(Box::new(csv::CsvList::new::<T>(buffered())?)),
            Format::Table => Sink::Table(
                table::TableList::new::<T>(self.width, self.style()),
                buffered(),
            ),
        };
        Ok(ListWriter {
            sink: Some(sink),
            count: 0,
            notes: self.notes,
            _t: std::marker::PhantomData,
        })
    }

    /// Renders a whole list at once.
    pub fn all<T: Columns>(&self, items: impl IntoIterator<Item = T>) -> Result<()> {
        let mut w = self.list::<T>()?;
        for item in items {
            w.push(&item)?;
        }
        w.finish()
    }

    /// Renders one thing: a JSON object, a one-row CSV, or a table of its
    /// fields (nested objects as `outer.inner`; lists left to the caller),
    /// values as they are.
    pub fn one<T: Serialize>(&self, item: &T) -> Result<()> {
        let value = serde_json::to_value(item)?;
        let mut out = self.out.lock();
        match self.format {
            Format::Json => json::one(&mut out, &value)?,
            Format::Csv => csv::one(&mut out, &flatten(&value))?,
            Format::Table => table::one(&mut out, &flatten(&value), self.width, self.style())?,
        }
        out.flush()?;
        Ok(())
    }
}

type Buffered = std::io::BufWriter<std::io::StdoutLock<'static>>;

/// The sink of a list, chosen once by the format.
enum Sink {
    Json(json::JsonList, Buffered),
    Csv(Box<csv::CsvList<Buffered>>),
    Table(table::TableList, Buffered),
}

/// A list being written.
pub struct ListWriter<'r, T> {
    /// `None` once finished.
    sink: Option<Sink>,
    count: usize,
    notes: bool,
    _t: std::marker::PhantomData<&'r T>,
}

impl<T> Drop for ListWriter<'_, T> {
    /// A list given up (an error while its rows were read) drops what it
    /// holds unwritten, so that standard output never gets a list that
    /// looks whole.
    fn drop(&mut self) {
        let held = match self.sink.take() {
            Some(Sink::Json(_, out) | Sink::Table(_, out)) => Some(out),
            Some(Sink::Csv(csv)) => (*csv).discard(),
            None => None,
        };
        if let Some(out) = held {
            // Into its parts: the buffered bytes are dropped, not written.
            drop(out.into_parts());
        }
    }
}

impl<T: Columns> ListWriter<'_, T> {
    pub fn push(&mut self, item: &T) -> Result<()> {
        match self.sink.as_mut() {
            Some(Sink::Json(list, out)) => list.push(out, item)?,
            Some(Sink::Csv(list)) => list.push(item)?,
            Some(Sink::Table(table, out)) => {
                let row = table.row(item)?;
                table.push(row, out)?;
            }
            None => {}
        }
        self.count += 1;
        Ok(())
    }

    /// Ends the list. A table with no row prints nothing (JSON `[]`, CSV
    /// its header).
    pub fn finish(mut self) -> Result<()> {
        match self.sink.take() {
            Some(Sink::Json(mut list, mut out)) => {
                list.finish(&mut out)?;
                out.flush()?;
            }
            Some(Sink::Csv(mut list)) => list.finish()?,
            Some(Sink::Table(mut table, mut out)) => {
                table.finish(&mut out)?;
                out.flush()?;
                if self.count == 0 && self.notes {
                    eprintln!("(none)");
                }
            }
            None => {}
        }
        Ok(())
    }

    /// How many items were pushed.
    pub fn count(&self) -> usize {
        self.count
    }
}

/// The fields of an object, nested objects flattened as `outer.inner`.
fn flatten(v: &Value) -> Vec<(String, Value)> {
    let mut out = vec![];
    fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            other => out.push((prefix.to_string(), other.clone())),
        }
    }
    walk("", v, &mut out);
    out
}
