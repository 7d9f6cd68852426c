//! The table sink, for people: one engine for lists (streamed, in bounded
//! memory) and for the fields of one thing. What a cell shows and how a
//! column may give way come from the column's declared [`Kind`] and
//! priority, never from its header or its text.

use super::flat::{Fields, Scalar};
use super::layout::{Layout, fit};
use super::terminal::{age, cut_to, for_terminal, width};
use super::{Column, Columns, Kind};
use anyhow::Result;
use std::io::Write;

/// A colour of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Green,
    Yellow,
    Red,
    Cyan,
}

impl Color {
    pub(super) fn ansi(self) -> &'static str {
        match self {
            Color::Green => "\x1b[32m",
            Color::Yellow => "\x1b[33m",
            Color::Red => "\x1b[31m",
            Color::Cyan => "\x1b[36m",
        }
    }
}

/// How cells are worded: on a terminal (ages, times without the year) or
/// not, coloured or not, and "now" for the ages.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub terminal: bool,
    pub color: bool,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// A cell's text and colour.
pub type Cell = (String, Option<Color>);

impl Style {
    /// A cell of a column of `kind`, from the field's value.
    pub fn cell(&self, kind: Kind, v: &Scalar) -> Cell {
        let text = match (kind, v) {
            (_, Scalar::Null) => String::new(),
            (Kind::Marker, Scalar::Bool(b)) => if *b { "↻" } else { "" }.to_string(),
            (_, Scalar::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
            (Kind::Age, Scalar::Str(s)) if self.terminal => {
                match chrono::DateTime::parse_from_rfc3339(s) {
                    Ok(t) => age(self.now - t.with_timezone(&chrono::Utc)),
                    Err(_) => s.clone(),
                }
            }
            // A log line's time on a terminal: without the year.
            (Kind::Clock, Scalar::Str(s)) if self.terminal => {
                match (s.get(5..10), s.get(10..11), s.get(11..19)) {
                    (Some(date), Some("T"), Some(time)) => format!("{date} {time}"),
                    _ => s.clone(),
                }
            }
            // Our times are RFC 3339 UTC (`2026-11-30T08:00:00.250Z`):
            // shown to the second.
            (Kind::Time | Kind::Age | Kind::Clock, Scalar::Str(s)) => {
                match (s.get(..10), s.get(10..11), s.get(11..19)) {
                    (Some(date), Some("T"), Some(time)) => format!("{date} {time}"),
                    _ => s.clone(),
                }
            }
            (_, other) => other.text(),
        };
        let text = for_terminal(&text, false).into_owned();
        let color = if self.color {
            color_of(kind, &text)
        } else {
            None
        };
        (text, color)
    }
}

/// The colour a status takes in a table.
pub fn status_color(text: &str) -> Option<Color> {
    color_of(Kind::Status, text)
}

/// The colour of a status or a word of a closed vocabulary (only columns
/// declared so are coloured).
fn color_of(kind: Kind, text: &str) -> Option<Color> {
    if !matches!(kind, Kind::Status | Kind::Word | Kind::Marker) {
        return None;
    }
    match text {
        "ACTIVE" | "COMPLETE" | "new" => Some(Color::Green),
        "STALE" | "INACTIVE" | "DORMANT" | "PENDING" | "IN_PROGRESS" | "WARN" | "retry" | "↻" => {
            Some(Color::Yellow)
        }
        "DISCONNECTED" | "ERROR" | "DELETED" | "DELETING" => Some(Color::Red),
        "PROVISIONING" | "UPGRADING" | "deduplicated" => Some(Color::Cyan),
        // A status change (`STALE → ACTIVE`) takes the colour of where it
        // ended.
        t => t
            .rsplit_once(" → ")
            .and_then(|(_, after)| color_of(kind, after)),
    }
}

/// A table written as its rows come, in bounded memory: the first
/// [`WINDOW`](TableList::WINDOW) rows set the layout (which columns, how
/// wide), later rows keep it (cut where the layout cuts; a wider cell of a
/// column that is never cut widens only its own line).
pub struct TableList {
    columns: Vec<Column>,
    window: Vec<Vec<Cell>>,
    layout: Option<Layout>,
    /// The terminal's width to fit, if on one.
    fit: Option<usize>,
    style: Style,
}

impl TableList {
    /// Rows held to measure the columns.
    const WINDOW: usize = 1_000;

    /// The columns of `T` that show here: off a terminal (and with `-o
    /// wide`) every column but those only for a terminal, on one every
    /// column but those only for wide tables.
    pub fn new<T: Columns>(fit: Option<usize>, style: Style) -> TableList {
        let columns = T::COLUMNS
            .iter()
            .filter(|c| c.shows(fit.is_some()))
            .copied()
            .collect();
        TableList::with(columns, fit, style)
    }

    pub fn with(columns: Vec<Column>, fit: Option<usize>, style: Style) -> TableList {
        TableList {
            columns,
            window: vec![],
            layout: None,
            fit,
            style,
        }
    }

    /// The cells of an item, as its columns show them.
    pub fn row<T: Columns>(&self, item: &T) -> Result<Vec<Cell>> {
        cells(&self.columns, item, &self.style)
    }

    pub fn push(&mut self, row: Vec<Cell>, out: &mut impl Write) -> Result<()> {
        match &self.layout {
            Some(layout) => write_row(out, layout, &row, self.fit.is_some()),
            None => {
                self.window.push(row);
                if self.window.len() >= Self::WINDOW {
                    self.flush_window(out)?;
                }
                Ok(())
            }
        }
    }

    /// Lays out the held rows, writes the header and them.
    fn flush_window(&mut self, out: &mut impl Write) -> Result<()> {
        let mut natural: Vec<usize> = self.columns.iter().map(|c| width(c.header)).collect();
        for row in &self.window {
            for (w, (text, _)) in natural.iter_mut().zip(row) {
                *w = (*w).max(width(text));
            }
        }
        let layout = fit(&self.columns, &natural, self.fit);
        let header: Vec<Cell> = self
            .columns
            .iter()
            .map(|c| (c.header.to_string(), None))
            .collect();
        let fitted = self.fit.is_some();
        write_row(out, &layout.header(), &header, fitted)?;
        let rule: Vec<String> = layout.shown().map(|(_, w)| "─".repeat(w + 2)).collect();
        writeln!(out, "{}", rule.join(" "))?;
        for row in std::mem::take(&mut self.window) {
            write_row(out, &layout, &row, fitted)?;
        }
        self.layout = Some(layout);
        Ok(())
    }

    /// Ends the table; a table with no row writes nothing.
    pub fn finish(&mut self, out: &mut impl Write) -> Result<()> {
        if self.layout.is_none() && !self.window.is_empty() {
            self.flush_window(out)?;
        }
        Ok(())
    }
}

/// The cells of `item` under `columns`, worded by `style`.
pub fn cells<T: Columns>(columns: &[Column], item: &T, style: &Style) -> Result<Vec<Cell>> {
    let fields = Fields::of(item)?;
    Ok(columns
        .iter()
        .map(|c| match item.table_text(c.key) {
            Some(text) => style.cell(c.kind, &Scalar::Str(text)),
            None => style.cell(c.kind, fields.get(c.key)),
        })
        .collect())
}

/// One line of a table: each shown cell cut to its column's width if the
/// layout cuts it, padded to it; one blank of padding each side of a cell,
/// a blank between columns.
fn write_row(out: &mut impl Write, layout: &Layout, row: &[Cell], fitted: bool) -> Result<()> {
    let mut line = String::new();
    for (text, color) in pieces(layout, row, fitted) {
        match color {
            Some(c) => line.push_str(&format!("{}{text}\x1b[39m", c.ansi())),
            None => line.push_str(&text),
        }
    }
    writeln!(out, "{line}")?;
    Ok(())
}

/// The pieces of a line of a table, in order: padding and separators
/// uncoloured, each shown cell (cut where the layout cuts it) with its
/// colour. `fitted` (a terminal): nothing after the last cell's text, so
/// that the line cannot wrap.
pub fn pieces(layout: &Layout, row: &[Cell], fitted: bool) -> Vec<Cell> {
    let mut out: Vec<Cell> = vec![];
    let mut blank = String::new();
    for (n, (i, w)) in layout.shown().enumerate() {
        let (text, color) = &row[i];
        let text = if layout.cuts(i) && width(text) > w {
            cut_to(text, w)
        } else {
            text.clone()
        };
        if n > 0 {
            blank.push(' ');
        }
        blank.push(' ');
        let pad = w.saturating_sub(width(&text)) + 1;
        out.push((std::mem::take(&mut blank), None));
        out.push((text, *color));
        blank.extend(std::iter::repeat_n(' ', pad));
    }
    if !fitted {
        out.push((blank, None));
    }
    out.retain(|(t, _)| !t.is_empty());
    if fitted {
        // A last cell that is empty leaves trailing blanks: none.
        while out.last().is_some_and(|(t, _)| t.trim_end().is_empty()) {
            out.pop();
        }
        if let Some((t, _)) = out.last_mut() {
            t.truncate(t.trim_end().len());
        }
    }
    out
}

/// The fields of one thing as a two-column table (nested objects as
/// `outer.inner`, lists left to the caller), values as they are: field
/// names never cut, values cut on a terminal.
pub fn one(
    out: &mut impl Write,
    fields: &[(String, serde_json::Value)],
    fit: Option<usize>,
    style: Style,
) -> Result<()> {
    const FIELD: Column = Column::new("field", "field", Kind::Id);
    const VALUE: Column = Column::new("value", "value", Kind::Text);
    let mut table = TableList::with(vec![FIELD, VALUE], fit, style);
    for (k, v) in fields.iter().filter(|(_, v)| !v.is_array()) {
        let row = vec![
            (for_terminal(k, false).into_owned(), None),
            style.cell(Kind::Text, &super::scalar::to_scalar(v)),
        ];
        table.push(row, out)?;
    }
    table.finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_statuses_and_words_are_coloured_and_a_change_by_where_it_ended() {
        assert_eq!(color_of(Kind::Status, "ACTIVE"), Some(Color::Green));
        assert_eq!(color_of(Kind::Status, "STALE → ERROR"), Some(Color::Red));
        assert_eq!(color_of(Kind::Word, "deduplicated"), Some(Color::Cyan));
        assert_eq!(
            color_of(Kind::Name, "ACTIVE"),
            None,
            "an account named ACTIVE"
        );
        assert_eq!(color_of(Kind::Text, "ERROR"), None);
    }

    #[test]
    fn a_cell_is_worded_by_its_kind() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let tty = Style {
            terminal: true,
            color: false,
            now,
        };
        let pipe = Style {
            terminal: false,
            ..tty
        };
        let t = Scalar::Str("2026-11-27T07:00:00.250Z".into());
        assert_eq!(tty.cell(Kind::Age, &t).0, "3d ago");
        assert_eq!(pipe.cell(Kind::Age, &t).0, "2026-11-27 07:00:00");
        assert_eq!(tty.cell(Kind::Clock, &t).0, "11-27 07:00:00");
        assert_eq!(tty.cell(Kind::Time, &t).0, "2026-11-27 07:00:00");
        assert_eq!(tty.cell(Kind::Text, &t).0, "2026-11-27T07:00:00.250Z");
        assert_eq!(tty.cell(Kind::Marker, &Scalar::Bool(true)).0, "↻");
        assert_eq!(tty.cell(Kind::Flag, &Scalar::Bool(false)).0, "no");
        assert_eq!(tty.cell(Kind::Count, &Scalar::Null).0, "");
    }
}
