//! Fitting a table to a terminal's width, from its columns' kinds and
//! priorities: columns of lower priority are left out first (while the
//! table would not fit even with its free text cut to the least it keeps),
//! then free text is cut, sharing the room left evenly, and, last, names;
//! no cell is broken across lines. Ids, statuses and times are never cut.

use super::{Column, Kind};

/// The least room a column of free text keeps (when its text is longer).
pub const TEXT_MIN: usize = 20;
/// The least room a name keeps.
pub const NAME_MIN: usize = 12;

/// Which columns show, how wide, and which may be cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    widths: Vec<usize>,
    shown: Vec<bool>,
    cut: Vec<bool>,
}

impl Layout {
    /// The shown columns: (index among the columns, width).
    pub fn shown(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.widths
            .iter()
            .enumerate()
            .filter(|(i, _)| self.shown[*i])
            .map(|(i, w)| (i, *w))
    }

    /// Whether cells of column `i` are cut to its width.
    pub fn cuts(&self, i: usize) -> bool {
        self.cut[i]
    }

    /// The layout of the header line: the same columns, nothing cut (every
    /// width holds its header).
    pub fn header(&self) -> Layout {
        Layout {
            cut: vec![false; self.cut.len()],
            ..self.clone()
        }
    }
}

/// The columns a table width's takes: each cell padded by a blank either
/// side, one blank between columns.
fn total(widths: &[usize], shown: &[bool]) -> usize {
    widths
        .iter()
        .zip(shown)
        .filter(|(_, s)| **s)
        .map(|(w, _)| w + 3)
        .sum::<usize>()
        .saturating_sub(1)
}

/// Lays out `columns` whose widest cells (header included) are `natural`,
/// to fit `limit` columns (a terminal), or as they are (`None`).
pub fn fit(columns: &[Column], natural: &[usize], limit: Option<usize>) -> Layout {
    let n = columns.len();
    let mut layout = Layout {
        widths: natural.to_vec(),
        shown: vec![true; n],
        cut: vec![false; n],
    };
    let Some(limit) = limit else {
        return layout;
    };
    let least = |names_too: bool| -> Vec<usize> {
        columns
            .iter()
            .zip(natural)
            .map(|(c, w)| {
                let header = super::terminal::width(c.header);
                match c.kind {
                    Kind::Text => (*w).min(TEXT_MIN.max(header)),
                    Kind::Name if names_too => (*w).min(NAME_MIN.max(header)),
                    _ => *w,
                }
            })
            .collect()
    };
    // 1. Leave out columns in their order (`drop(1)` first, the rightmost
    //    of equals first) while the table would not fit even with its free
    //    text cut to the least it keeps (names are cut only after).
    let text_cut = least(false);
    while total(&text_cut, &layout.shown) > limit {
        let next = (0..n)
            .filter(|i| layout.shown[*i] && columns[*i].drop > 0)
            .min_by_key(|i| (columns[*i].drop, std::cmp::Reverse(*i)));
        match next {
            Some(i) => layout.shown[i] = false,
            None => break,
        }
    }
    // 2. Cut free text, then 3. names: a column at a time from the widest,
    //    down to the least each keeps.
    let least = least(true);
    for kind in [Kind::Text, Kind::Name] {
        let mut over = total(&layout.widths, &layout.shown).saturating_sub(limit);
        while over > 0 {
            let widest = (0..n)
                .filter(|i| {
                    layout.shown[*i] && columns[*i].kind == kind && layout.widths[*i] > least[*i]
                })
                .max_by_key(|i| layout.widths[*i]);
            let Some(i) = widest else { break };
            layout.widths[i] -= 1;
            over -= 1;
        }
    }
    for (i, c) in columns.iter().enumerate() {
        layout.cut[i] = matches!(c.kind, Kind::Text | Kind::Name);
    }
    layout
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column::new("id", "id", Kind::Id),
        Column::new("name", "name", Kind::Name),
        Column::new("status", "status", Kind::Status),
        Column::new("created_at", "created", Kind::Age).drop(2),
        Column::new("users", "users", Kind::Count).drop(1),
        Column::new("error", "error", Kind::Text),
    ];

    fn shown(l: &Layout) -> Vec<&'static str> {
        l.shown().map(|(i, _)| COLUMNS[i].key).collect()
    }

    #[test]
    fn what_fits_is_left_as_it_is() {
        let natural = [2, 10, 6, 7, 5, 30];
        let l = fit(COLUMNS, &natural, Some(200));
        assert_eq!(l.shown().map(|(_, w)| w).collect::<Vec<_>>(), natural);
        assert_eq!(fit(COLUMNS, &natural, None).shown().count(), 6);
    }

    #[test]
    fn lower_priority_columns_go_first_then_text_then_names_are_cut() {
        // Far too wide for 80: the users (left out first) go, and that is
        // enough with the error cut.
        let natural = [2, 28, 6, 7, 5, 200];
        let l = fit(COLUMNS, &natural, Some(80));
        assert_eq!(
            shown(&l),
            ["id", "name", "status", "created_at", "error"],
            "{l:?}"
        );
        assert!(total(&l.widths, &l.shown) <= 80);
        let widths: Vec<usize> = l.shown().map(|(_, w)| w).collect();
        assert_eq!(widths[1], 28, "the name is whole while text can give");
        assert!(widths[4] >= TEXT_MIN);
        // At 60 the name gives too, never below its least.
        let l = fit(COLUMNS, &[2, 60, 6, 7, 5, 200], Some(60));
        assert_eq!(shown(&l), ["id", "name", "status", "error"], "{l:?}");
        let widths: Vec<usize> = l.shown().map(|(_, w)| w).collect();
        assert!(total(&l.widths, &l.shown) <= 60, "{l:?}");
        assert_eq!(widths[3], TEXT_MIN);
        assert!(widths[1] >= NAME_MIN && widths[1] < 60);
    }

    #[test]
    fn a_column_is_left_out_only_when_cutting_cannot_make_room() {
        // Cutting the error to 30 makes it fit: every column stays.
        let l = fit(COLUMNS, &[2, 10, 6, 7, 5, 60], Some(70));
        assert_eq!(l.shown().count(), 6, "{l:?}");
        assert!(total(&l.widths, &l.shown) <= 70);
    }
}
