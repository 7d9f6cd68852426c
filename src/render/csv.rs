//! The CSV sink: a header row of the view's CSV keys, then a row an item,
//! every cell taken from the item's `Serialize` (never reworded), text that
//! a spreadsheet would run as a formula neutralised.

use super::Columns;
use super::flat::{Fields, Scalar};
use anyhow::Result;
use std::io::Write;

/// A list as CSV, streamed.
pub struct CsvList<W: Write> {
    csv: csv::Writer<W>,
    /// Where each CSV column's field is in a row, learnt from the first
    /// (a type serializes its fields in one order).
    at: Option<Vec<Option<usize>>>,
}

impl<W: Write> CsvList<W> {
    pub fn new<T: Columns>(out: W) -> Result<CsvList<W>> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(T::CSV)?;
        Ok(CsvList { csv, at: None })
    }

    pub fn push<T: Columns>(&mut self, item: &T) -> Result<()> {
        write_row(&mut self.csv, item, &mut self.at)
    }

    pub fn finish(&mut self) -> Result<()> {
        self.csv.flush()?;
        Ok(())
    }

    /// What it holds unwritten, dropped (a list given up).
    pub fn discard(self) -> Option<W> {
        self.csv.into_inner().ok()
    }
}

/// One item of an endless stream: the header before the first.
pub fn stream_row<T: Columns>(out: &mut impl Write, item: &T, header: &mut bool) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    if !*header {
        w.write_record(T::CSV)?;
        *header = true;
    }
    write_row(&mut w, item, &mut None)?;
    w.flush()?;
    Ok(())
}

/// One thing as a header row and one row, its nested objects flattened.
pub fn one(out: &mut impl Write, fields: &[(String, serde_json::Value)]) -> Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(fields.iter().map(|(k, _)| k))?;
    csv.write_record(
        fields
            .iter()
            .map(|(_, v)| cell(&super::scalar::to_scalar(v))),
    )?;
    csv.flush()?;
    Ok(())
}

/// Writes an item's CSV cells (in the order of `T::CSV`) without copying
/// them; `at` maps each column to its field's position.
fn write_row<T: Columns, W: Write>(
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
            other => csv.write_field(cell(other))?,
        }
    }
    csv.write_record(None::<&[u8]>)?;
    Ok(())
}

/// A value as a CSV cell: [`Scalar::text`], and text that a spreadsheet
/// would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) prefixed with `'`, as OWASP recommends against CSV
/// injection. Numbers and booleans are never changed.
fn cell(v: &Scalar) -> String {
    let text = v.text();
    match v {
        Scalar::Str(s) if formula_like(s) => format!("'{text}"),
        _ => text,
    }
}

/// Whether a spreadsheet would take a text cell for a formula.
fn formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_would_be_formulas_are_neutralised() {
        for f in ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(&Scalar::Str(f.into())), format!("'{f}"));
        }
        assert_eq!(cell(&Scalar::Str("a=b".into())), "a=b");
        assert_eq!(cell(&Scalar::Int(-3)), "-3", "numbers are data");
        assert_eq!(cell(&Scalar::Null), "");
    }
}
