//! The screen's tables (`nfa ui`): a list's cells worded as the table sink
//! words them (the same declared columns, kinds and colours), measured
//! once, and laid out for whatever width the screen has at each frame; the
//! screen draws only the rows it shows, a line each.

use super::layout::{Layout, fit};
use super::table::{Cell, Style, cells, pieces};
use super::terminal::width;
use super::{Column, Columns};
use anyhow::Result;

/// The rows of a list, ready to be laid out.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    columns: Vec<Column>,
    natural: Vec<usize>,
    rows: Vec<Vec<Cell>>,
}

impl Grid {
    /// The cells of `items` under the columns `T` shows on a terminal.
    pub fn of<'a, T: Columns + 'a>(
        items: impl IntoIterator<Item = &'a T>,
        style: Style,
    ) -> Result<Grid> {
        let columns: Vec<Column> = T::COLUMNS
            .iter()
            .filter(|c| c.shows(true))
            .copied()
            .collect();
        let mut natural: Vec<usize> = columns.iter().map(|c| width(c.header)).collect();
        let mut rows = vec![];
        for item in items {
            let row = cells(&columns, item, &style)?;
            for (w, (text, _)) in natural.iter_mut().zip(&row) {
                *w = (*w).max(width(text));
            }
            rows.push(row);
        }
        Ok(Grid {
            columns,
            natural,
            rows,
        })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The layout for `width` columns, as a table on such a terminal.
    pub fn layout(&self, width: usize) -> Layout {
        fit(&self.columns, &self.natural, Some(width))
    }

    /// The header line's pieces.
    pub fn header(&self, layout: &Layout) -> Vec<Cell> {
        let header: Vec<Cell> = self
            .columns
            .iter()
            .map(|c| (c.header.to_string(), None))
            .collect();
        pieces(&layout.header(), &header, true)
    }

    /// The pieces of row `row`'s line.
    pub fn line(&self, row: usize, layout: &Layout) -> Vec<Cell> {
        pieces(layout, &self.rows[row], true)
    }
}
