//! Output in one place: `table` (comfy-table, for people), `json` (one array
//! for a list, one object for one thing) and `csv` (a header row, then a row
//! an item). Every value comes from the item's `Serialize` impl, so the three
//! formats cannot disagree.

mod flat;

use anyhow::Result;
use comfy_table::{Cell, Color, ContentArrangement, LineStyle, Table, TableStyle};
use flat::{Fields, Scalar};
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

/// What a type shows as a row.
pub trait Columns: Serialize {
    /// The keys of the CSV columns, in order.
    const CSV: &'static [&'static str];
    /// The `(key, header)` pairs of the human table.
    const TABLE: &'static [(&'static str, &'static str)];
    /// The columns of a table fitted to a terminal, when they differ from
    /// [`TABLE`](Columns::TABLE) (which shows off a terminal and with
    /// `-o wide`). A key may be one only [`table_text`](Columns::table_text)
    /// knows.
    const NARROW: &'static [(&'static str, &'static str)] = Self::TABLE;

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
}

impl Renderer {
    /// `--color auto` colours only on a terminal, and never when `NO_COLOR`
    /// is set; `always` and `never` say so. JSON and CSV are never coloured.
    pub fn new(
        output: Output,
        choice: ColorChoice,
        now: chrono::DateTime<chrono::Utc>,
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
        }
    }

    /// Writes a line of text to standard output (table mode narration),
    /// control characters escaped (line breaks kept).
    pub fn line(&self, text: &str) -> Result<()> {
        let mut out = self.out.lock();
        writeln!(out, "{}", for_terminal(text, true))?;
        Ok(())
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
            Format::Json => {
                serde_json::to_writer(&mut out, item)?;
                writeln!(out)?;
            }
            Format::Csv => {
                let mut w = csv::Writer::from_writer(&mut out);
                if !*header {
                    w.write_record(T::CSV)?;
                    *header = true;
                }
                write_csv_row(&mut w, item, &mut None)?;
                w.flush()?;
            }
            Format::Table => writeln!(out, "{}", for_terminal(&human(item), false))?,
        }
        out.flush()?;
        Ok(())
    }

    /// Starts a list; push items, then `finish`. JSON and CSV stream; a table
    /// is drawn at the end.
    pub fn list<T: Columns>(&self) -> Result<ListWriter<'_, T>> {
        let buffered = || std::io::BufWriter::with_capacity(64 * 1024, self.out.lock());
        let mut w = ListWriter {
            r: self,
            count: 0,
            table: None,
            out: buffered(),
            csv: None,
            csv_at: None,
            finished: false,
            _t: std::marker::PhantomData,
        };
        match self.format {
            // The array opens with its first item (or at the end): an
            // error before any row leaves nothing on standard output.
            Format::Json => {}
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(buffered());
                csv.write_record(T::CSV)?;
                w.csv = Some(csv);
            }
            Format::Table => {
                w.table = Some(StreamTable::new(
                    self.table_columns::<T>()
                        .map(|(_, h)| (*h).to_string())
                        .collect(),
                    self.width,
                ));
            }
        }
        Ok(w)
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
    /// fields (nested objects as `outer.inner`; lists left to the caller).
    pub fn one<T: Serialize>(&self, item: &T) -> Result<()> {
        let value = serde_json::to_value(item)?;
        match self.format {
            Format::Json => {
                let mut out = self.out.lock();
                serde_json::to_writer_pretty(&mut out, &value)?;
                writeln!(out)?;
            }
            Format::Csv => {
                let fields = flatten(&value);
                let mut csv = csv::Writer::from_writer(self.out.lock());
                csv.write_record(fields.iter().map(|(k, _)| k))?;
                csv.write_record(fields.iter().map(|(_, v)| csv_cell(&flat::to_scalar(v))))?;
                csv.flush()?;
            }
            Format::Table => {
                let mut table = self.new_table(["field", "value"]);
                for (k, v) in flatten(&value) {
                    if !v.is_array() {
                        table.add_row(vec![Cell::new(&k), self.cell(&k, &v)]);
                    }
                }
                self.line(&table.to_string())?;
            }
        }
        Ok(())
    }

    /// The columns of `T`'s table: on a terminal, its narrow set.
    fn table_columns<T: Columns>(&self) -> std::slice::Iter<'static, (&'static str, &'static str)> {
        match self.width {
            Some(_) => T::NARROW.iter(),
            None => T::TABLE.iter(),
        }
    }

    fn new_table<'h>(&self, headers: impl IntoIterator<Item = &'h str>) -> Table {
        let mut t = Table::new();
        // Columns separated by blanks, one rule under the header.
        let style = TableStyle::new().header_separator(LineStyle::none().fill('─').junction(' '));
        t.load_style(style)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(headers);
        if self.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        t
    }

    /// A table cell for a field: statuses coloured, the refresh marker as a
    /// symbol, times shortened, absent values blank.
    fn cell(&self, key: &str, v: &Value) -> Cell {
        let (text, color) = self.cell_text(key, &flat::to_scalar(v), false);
        let cell = Cell::new(&text);
        match color {
            Some(c) => cell.fg(c),
            None => cell,
        }
    }

    /// The text of a table cell and its colour (only when colour is on).
    /// `in_list`: a row of a list (where a terminal shows ages), not the
    /// fields of one thing (where times stay exact).
    fn cell_text(&self, key: &str, v: &Scalar, in_list: bool) -> (String, Option<Color>) {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        let text = match v {
            Scalar::Bool(b) if leaf == "refresh_available" => if *b { "↻" } else { "" }.to_string(),
            Scalar::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            // Only time fields are read as times (a parse per cell costs).
            // On a terminal, list columns of when something last happened
            // say how long ago, as kubectl's AGE does.
            Scalar::Str(s)
                if in_list
                    && self.width.is_some()
                    && matches!(
                        key,
                        "last_activity_at" | "ad_cache_updated_at" | "created_at"
                    ) =>
            {
                match chrono::DateTime::parse_from_rfc3339(s) {
                    Ok(t) => age(self.now - t.with_timezone(&chrono::Utc)),
                    Err(_) => s.clone(),
                }
            }
            // A log line's time in a list on a terminal: without the year
            // (`11-30 08:00:00`), to leave its message room.
            Scalar::Str(s) if in_list && self.width.is_some() && key == "time" => {
                match (s.get(5..10), s.get(10..11), s.get(11..19)) {
                    (Some(date), Some("T"), Some(time)) => format!("{date} {time}"),
                    _ => s.clone(),
                }
            }
            // Our times are RFC 3339 UTC (`2026-11-30T08:00:00.250Z`): shown
            // to the second, without reparsing them.
            Scalar::Str(s) if leaf.ends_with("_at") || leaf == "time" => {
                match (s.get(..10), s.get(10..11), s.get(11..19)) {
                    (Some(date), Some("T"), Some(time)) => format!("{date} {time}"),
                    _ => s.clone(),
                }
            }
            other => csv_text(other),
        };
        let text = for_terminal(&text, false).into_owned();
        if !self.color {
            return (text, None);
        }
        let color = match text.as_str() {
            "ACTIVE" | "COMPLETE" | "new" => Some(Color::Green),
            "STALE" | "INACTIVE" | "DORMANT" | "PENDING" | "IN_PROGRESS" | "WARN" | "retry"
            | "↻" => Some(Color::Yellow),
            "DISCONNECTED" | "ERROR" | "DELETED" | "DELETING" => Some(Color::Red),
            "PROVISIONING" | "UPGRADING" | "deduplicated" => Some(Color::Cyan),
            _ => None,
        };
        (text, color)
    }
}

pub struct ListWriter<'r, T> {
    r: &'r Renderer,
    count: usize,
    table: Option<StreamTable>,
    /// Standard output, buffered for the whole list (one write(2) per
    /// buffer, not per row: standard output itself flushes every line).
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    csv: Option<csv::Writer<std::io::BufWriter<std::io::StdoutLock<'static>>>>,
    /// Where each CSV column's field is in a row (see [`write_csv_row`]).
    csv_at: Option<Vec<Option<usize>>>,
    /// Whether the list was finished: one given up (an error while its
    /// rows were read) drops what it holds unwritten, so that what
    /// standard output got is never a list that looks whole.
    finished: bool,
    _t: std::marker::PhantomData<T>,
}

impl<T> Drop for ListWriter<'_, T> {
    fn drop(&mut self) {
        if !self.finished {
            let held = std::mem::replace(
                &mut self.out,
                std::io::BufWriter::with_capacity(0, self.r.out.lock()),
            );
            // Into its parts: the buffered bytes are dropped, not written.
            drop(held.into_parts());
            if let Some(csv) = self.csv.take()
                && let Ok(inner) = csv.into_inner()
            {
                drop(inner.into_parts());
            }
        }
    }
}

impl<T: Columns> ListWriter<'_, T> {
    pub fn push(&mut self, item: &T) -> Result<()> {
        match self.r.format {
            Format::Json => {
                self.out
                    .write_all(if self.count > 0 { b",\n  " } else { b"[\n  " })?;
                serde_json::to_writer(&mut self.out, item)?;
            }
            Format::Csv => {
                if let Some(csv) = &mut self.csv {
                    write_csv_row(csv, item, &mut self.csv_at)?;
                }
            }
            Format::Table => {
                let fields = Fields::of(item)?;
                let row: Vec<(String, Option<Color>)> = self
                    .r
                    .table_columns::<T>()
                    .map(|(k, _)| match item.table_text(k) {
                        Some(text) => self.r.cell_text(k, &Scalar::Str(text), true),
                        None => self.r.cell_text(k, fields.get(k), true),
                    })
                    .collect();
                if let Some(t) = &mut self.table {
                    t.push(row, &mut self.out)?;
                }
            }
        }
        self.count += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<()> {
        self.finished = true;
        match self.r.format {
            Format::Json => {
                self.out
                    .write_all(if self.count > 0 { b"\n]\n" } else { b"[]\n" })?;
                self.out.flush()?;
            }
            Format::Csv => {
                if let Some(csv) = &mut self.csv {
                    csv.flush()?;
                }
            }
            Format::Table => {
                if let Some(t) = &mut self.table {
                    if self.count == 0 {
                        writeln!(self.out, "(none)")?;
                    } else {
                        t.finish(&mut self.out)?;
                    }
                }
                self.out.flush()?;
            }
        }
        Ok(())
    }
}

/// A table written as its rows come, in bounded memory: the first
/// [`WINDOW`](StreamTable::WINDOW) rows set the column widths, later rows
/// reuse them (a wider later cell widens only its own line, never cut). The
/// layout is comfy-table's of the `show` commands: a blank of padding each
/// side of a cell, a blank between columns, a rule under the header.
struct StreamTable {
    headers: Vec<String>,
    window: Vec<Vec<(String, Option<Color>)>>,
    widths: Option<Vec<usize>>,
    /// The terminal's width, to fit (cutting free text with `…`).
    fit: Option<usize>,
    /// Which columns may be cut: free text, on a terminal only.
    cuttable: Vec<bool>,
}

/// Columns of free text, which may be cut to fit a terminal; ids, names,
/// statuses and times never are.
const FREE_TEXT: &[&str] = &[
    "description",
    "error",
    "message",
    "why not",
    "value",
    "detail",
];

impl StreamTable {
    /// Rows held to measure the columns.
    const WINDOW: usize = 1_000;

    fn new(headers: Vec<String>, fit: Option<usize>) -> StreamTable {
        let cuttable = headers
            .iter()
            .map(|h| fit.is_some() && FREE_TEXT.contains(&h.as_str()))
            .collect();
        StreamTable {
            headers,
            window: vec![],
            widths: None,
            fit,
            cuttable,
        }
    }

    /// Narrows the free-text columns, a column at a time from the widest,
    /// until the table fits `width`: the room left is shared out evenly
    /// (each keeps at least 10 columns).
    fn fit(&self, widths: &mut [usize], width: usize) {
        let total = |w: &[usize]| w.iter().map(|c| c + 3).sum::<usize>().saturating_sub(1);
        let mut over = total(widths).saturating_sub(width);
        while over > 0 {
            let widest = widths
                .iter()
                .enumerate()
                .filter(|(i, w)| self.cuttable[*i] && **w > 10)
                .max_by_key(|(_, w)| **w)
                .map(|(i, _)| i);
            let Some(i) = widest else { break };
            widths[i] -= 1;
            over -= 1;
        }
    }

    fn push(&mut self, row: Vec<(String, Option<Color>)>, out: &mut impl Write) -> Result<()> {
        match &self.widths {
            Some(widths) => write_row(out, widths, &self.cuttable, self.fit.is_some(), &row),
            None => {
                self.window.push(row);
                if self.window.len() >= Self::WINDOW {
                    self.flush_window(out)?;
                }
                Ok(())
            }
        }
    }

    /// Measures the held rows, writes the header and them.
    fn flush_window(&mut self, out: &mut impl Write) -> Result<()> {
        use unicode_width::UnicodeWidthStr;
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.window {
            for (w, (text, _)) in widths.iter_mut().zip(row) {
                *w = (*w).max(text.width());
            }
        }
        if let Some(width) = self.fit {
            self.fit(&mut widths, width);
        }
        let header: Vec<(String, Option<Color>)> =
            self.headers.iter().map(|h| (h.clone(), None)).collect();
        let fitted = self.fit.is_some();
        write_row(out, &widths, &vec![false; widths.len()], fitted, &header)?;
        let rule: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
        writeln!(out, "{}", rule.join(" "))?;
        for row in std::mem::take(&mut self.window) {
            write_row(out, &widths, &self.cuttable, fitted, &row)?;
        }
        self.widths = Some(widths);
        Ok(())
    }

    fn finish(&mut self, out: &mut impl Write) -> Result<()> {
        if self.widths.is_none() {
            self.flush_window(out)?;
        }
        Ok(())
    }
}

/// One line of a [`StreamTable`]: each cell padded to its column's width.
fn write_row(
    out: &mut impl Write,
    widths: &[usize],
    cuttable: &[bool],
    fitted: bool,
    row: &[(String, Option<Color>)],
) -> Result<()> {
    use unicode_width::UnicodeWidthStr;
    let mut line = String::new();
    for (i, ((text, color), width)) in row.iter().zip(widths).enumerate() {
        let cut;
        let text = if cuttable[i] && text.width() > *width {
            cut = cut_to(text, *width);
            &cut
        } else {
            text
        };
        if i > 0 {
            line.push(' ');
        }
        line.push(' ');
        match color {
            Some(c) => line.push_str(&format!("{}{text}\x1b[39m", ansi(*c))),
            None => line.push_str(text),
        }
        line.extend(std::iter::repeat_n(
            ' ',
            width.saturating_sub(text.width()) + 1,
        ));
    }
    if fitted {
        // On a terminal, padding past the last cell would wrap the line.
        line.truncate(line.trim_end().len());
    }
    writeln!(out, "{line}")?;
    Ok(())
}

/// `text` cut to `width` columns, ending with `…`.
fn cut_to(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// How long ago, in its largest unit: `45s ago`, `5h ago`, `3d ago`
/// (`in 2h` for the future).
fn age(d: chrono::TimeDelta) -> String {
    let secs = d.num_seconds();
    let (n, unit) = match secs.abs() {
        s if s < 60 => (s, "s"),
        s if s < 3600 => (s / 60, "m"),
        s if s < 86_400 => (s / 3600, "h"),
        s => (s / 86_400, "d"),
    };
    if secs < 0 {
        format!("in {n}{unit}")
    } else {
        format!("{n}{unit} ago")
    }
}

/// The escape that starts a foreground colour.
fn ansi(c: Color) -> &'static str {
    match c {
        Color::Green => "\x1b[32m",
        Color::Yellow => "\x1b[33m",
        Color::Red => "\x1b[31m",
        Color::Cyan => "\x1b[36m",
        _ => "\x1b[39m",
    }
}

/// Writes an item's CSV cells (in the order of `T::CSV`) without copying
/// them; `at` maps each column to its field's position, learnt from the
/// first row (a type serializes its fields in one order).
fn write_csv_row<T: Columns, W: Write>(
    csv: &mut csv::Writer<W>,
    item: &T,
    at: &mut Option<Vec<Option<usize>>>,
) -> Result<()> {
    let fields = Fields::of(item)?;
    let at = at.get_or_insert_with(|| {
        T::CSV
            .iter()
            .map(|k| fields.0.iter().position(|(f, _)| f == k))
            .collect()
    });
    let mut digits = itoa::Buffer::new();
    for i in at.iter() {
        let v = i
            .and_then(|i| fields.0.get(i))
            .map_or(&Scalar::Null, |(_, v)| v);
        // Written as they are, without a String per cell.
        match v {
            Scalar::Str(s) if !formula_like(s) => csv.write_field(s)?,
            Scalar::Json(s) => csv.write_field(s)?,
            Scalar::Null => csv.write_field("")?,
            Scalar::Int(n) => csv.write_field(digits.format(*n))?,
            Scalar::UInt(n) => csv.write_field(digits.format(*n))?,
            Scalar::Bool(b) => csv.write_field(if *b { "true" } else { "false" })?,
            other => csv.write_field(csv_cell(other))?,
        }
    }
    csv.write_record(None::<&[u8]>)?;
    Ok(())
}

/// A value as a CSV cell: [`csv_text`], and text that a spreadsheet would
/// take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) prefixed with `'`, as OWASP recommends against CSV
/// injection. Numbers and booleans are never changed.
fn csv_cell(v: &Scalar) -> String {
    let text = csv_text(v);
    match v {
        Scalar::Str(s) if formula_like(s) => format!("'{text}"),
        _ => text,
    }
}

/// Whether a spreadsheet would take a text cell for a formula.
fn formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Text made safe for a terminal: control characters (ESC, BEL, …; line
/// breaks too unless `keep_newlines`) and the bidi controls that reorder
/// what is shown are written as visible escapes (`\u{1b}`), so that text
/// from a tenant, a file or a log cannot move the cursor, retitle or clear
/// the terminal, or disguise itself.
pub fn for_terminal(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n'))
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A value as CSV text: scalars as they are, `null` empty, the rest as JSON.
fn csv_text(v: &Scalar) -> String {
    match v {
        Scalar::Null => String::new(),
        Scalar::Str(s) | Scalar::Json(s) => s.clone(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(n) => n.to_string(),
        Scalar::UInt(n) => n.to_string(),
        Scalar::Float(n) => {
            serde_json::Number::from_f64(*n).map_or_else(String::new, |n| n.to_string())
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_has_no_live_control_or_bidi_character() {
        let evil = "x\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{202e}txt.exe";
        let safe = for_terminal(evil, false);
        assert!(
            !safe.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{safe}"
        );
        assert!(safe.contains("\\u{1b}]0;PWNED\\u{7}"), "{safe}");
        assert_eq!(for_terminal("a\nb", true), "a\nb");
        assert_eq!(for_terminal("a\nb", false), "a\\u{a}b");
        assert!(matches!(
            for_terminal("Café ↻", false),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn ages_read_in_their_largest_unit() {
        use chrono::TimeDelta;
        assert_eq!(age(TimeDelta::seconds(45)), "45s ago");
        assert_eq!(age(TimeDelta::minutes(90)), "1h ago");
        assert_eq!(age(TimeDelta::hours(5)), "5h ago");
        assert_eq!(age(TimeDelta::days(3) + TimeDelta::hours(7)), "3d ago");
        assert_eq!(age(TimeDelta::hours(-2)), "in 2h");
    }

    #[test]
    fn csv_cells_that_would_be_formulas_are_neutralised() {
        for f in ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(&Scalar::Str(f.into())), format!("'{f}"));
        }
        assert_eq!(csv_cell(&Scalar::Str("a=b".into())), "a=b");
        assert_eq!(csv_cell(&Scalar::Int(-3)), "-3", "numbers are data");
        assert_eq!(csv_cell(&Scalar::Null), "");
    }
}
