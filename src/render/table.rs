//! Aligned columns that fit a width, written one row at a time.
//!
//! Unlike a table library, nothing here holds the rows: a view decides the
//! widths (from the terminal, and from its content when it has seen it) and
//! then streams rows of any number.

use std::borrow::Cow;
use std::io::{self, Write};

use super::style::{Role, Theme};
use super::text::{truncate_measured, width};

/// Columns are separated by this.
pub const GAP: &str = "  ";

/// How a column may be sized.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    /// Narrowest it may get before the table overflows.
    pub min: usize,
    /// Widest it may get, however wide its content.
    pub max: usize,
    /// Gives up its width first when space is short (free-text columns).
    pub elastic: bool,
    /// Hidden altogether (width 0) when the others cannot fit otherwise.
    pub optional: bool,
}

impl Column {
    /// A column `min` to `max` wide that keeps its width.
    pub const fn new(header: &'static str, min: usize, max: usize) -> Column {
        Column {
            header,
            min,
            max,
            elastic: false,
            optional: false,
        }
    }

    /// One that gives up its width first.
    pub const fn elastic(self) -> Column {
        Column {
            elastic: true,
            ..self
        }
    }

    /// One that is hidden when the others cannot fit.
    pub const fn optional(self) -> Column {
        Column {
            optional: true,
            ..self
        }
    }
}

/// Widths for `columns` whose widest content is `content`, within `total`
/// columns. Elastic columns shrink first, down to their minimum; then
/// optional columns are hidden (width 0); then the others shrink. Past that
/// the table is wider than `total`.
pub fn fit(columns: &[Column], content: &[usize], total: usize) -> Vec<usize> {
    let mut widths: Vec<usize> = columns
        .iter()
        .zip(content)
        .map(|(c, &w)| w.max(width(c.header)).clamp(c.min, c.max.max(c.min)))
        .collect();
    let used = |widths: &[usize]| {
        let shown = widths.iter().filter(|&&w| w > 0).count();
        widths.iter().sum::<usize>() + GAP.len() * shown.saturating_sub(1)
    };
    let at_minimum: usize = columns
        .iter()
        .zip(&widths)
        .map(|(c, &w)| if c.elastic { c.min } else { w })
        .sum::<usize>()
        + GAP.len() * columns.len().saturating_sub(1);
    if at_minimum > total {
        for (i, c) in columns.iter().enumerate() {
            if c.optional && used(&widths) > total {
                widths[i] = 0;
            }
        }
    }
    let mut over = used(&widths).saturating_sub(total);
    for elastic_pass in [true, false] {
        while over > 0 {
            // Take one column from the widest shrinkable column of this pass.
            let pick = (0..columns.len())
                .filter(|&i| {
                    columns[i].elastic == elastic_pass && widths[i] > columns[i].min.max(1)
                })
                .max_by_key(|&i| (widths[i] - columns[i].min, i));
            match pick {
                Some(i) => {
                    widths[i] -= 1;
                    over -= 1;
                }
                None => break,
            }
        }
    }
    widths
}

/// The widest [`fit`] can make column `i` within `total` columns, whatever
/// the content: no wider than its maximum, and unless every column is at
/// its narrowest, no wider than what the columns that are always shown
/// leave at their narrowest. A view that holds rows until it knows the
/// widths keeps no more of a cell than this (see [`super::text::showable`]).
pub fn widest(columns: &[Column], i: usize, total: usize) -> usize {
    let Some(column) = columns.get(i) else {
        return 0;
    };
    // Shown columns are never cut below their minimum or one column; a
    // column that is not optional is always shown.
    let (count, narrowest) = columns
        .iter()
        .enumerate()
        .filter(|&(j, c)| {
            j != i && !c.optional && width(c.header).clamp(c.min, c.max.max(c.min)) > 0
        })
        .fold((0, 0), |(count, sum), (_, c)| {
            (count + 1, sum + c.min.max(1))
        });
    let left = total.saturating_sub(narrowest + GAP.len() * count);
    column.max.max(column.min).min(left.max(column.min).max(1))
}

/// One cell: text already escaped for the terminal (borrowed when it
/// needed no change), and how to color it.
#[derive(Debug, Clone)]
pub struct Cell<'a> {
    pub text: Cow<'a, str>,
    pub role: Option<Role>,
    /// Right-aligned (numbers).
    pub right: bool,
}

impl<'a> Cell<'a> {
    pub fn plain(text: impl Into<Cow<'a, str>>) -> Self {
        Cell {
            text: text.into(),
            role: None,
            right: false,
        }
    }

    pub fn styled(text: impl Into<Cow<'a, str>>, role: Role) -> Self {
        Cell {
            text: text.into(),
            role: Some(role),
            right: false,
        }
    }

    /// A number: right-aligned.
    pub fn number(text: impl Into<Cow<'a, str>>) -> Self {
        Cell {
            right: true,
            ..Cell::plain(text)
        }
    }

    /// The same cell, right-aligned.
    pub fn right(self) -> Self {
        Cell {
            right: true,
            ..self
        }
    }
}

/// What a row is made of: a [`Cell`], or a [`CellRef`] that borrows its
/// text (rows read back from a store).
pub trait CellText {
    fn text(&self) -> &str;
    /// Columns the text takes.
    fn width(&self) -> usize {
        width(self.text())
    }
    fn role(&self) -> Option<Role>;
    fn right(&self) -> bool;
}

impl CellText for Cell<'_> {
    fn text(&self) -> &str {
        &self.text
    }
    fn role(&self) -> Option<Role> {
        self.role
    }
    fn right(&self) -> bool {
        self.right
    }
}

/// A cell whose text is borrowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct CellRef<'a> {
    pub text: &'a str,
    /// Columns the text takes, when known (else measured).
    pub width: Option<usize>,
    pub role: Option<Role>,
    pub right: bool,
}

impl CellText for CellRef<'_> {
    fn text(&self) -> &str {
        self.text
    }
    fn width(&self) -> usize {
        self.width.unwrap_or_else(|| width(self.text))
    }
    fn role(&self) -> Option<Role> {
        self.role
    }
    fn right(&self) -> bool {
        self.right
    }
}

/// Writes one row: each cell cut to its width and padded (the last one is
/// not padded, so lines carry no trailing blanks). Hidden columns (width 0)
/// are skipped.
pub fn write_row<W: Write + ?Sized>(
    out: &mut W,
    widths: &[usize],
    cells: &[impl CellText],
    theme: Theme,
) -> io::Result<()> {
    let last_shown = widths.iter().rposition(|&w| w > 0).unwrap_or(0);
    let mut line = Line { out, blanks: 0 };
    let mut first = true;
    for (i, (cell, &w)) in cells.iter().zip(widths).enumerate() {
        if w == 0 {
            continue;
        }
        if !first {
            line.blanks += GAP.len();
        }
        first = false;
        let (cut, cut_width) = truncate_measured(cell.text(), w, cell.width());
        let room = w.saturating_sub(cut_width);
        let (before, after) = if cell.right() {
            (room, 0)
        } else if i == last_shown {
            (0, 0)
        } else {
            (0, room)
        };
        line.blanks += before;
        match cell.role() {
            Some(role) => {
                // Paint the text, not the padding, so underlines and
                // backgrounds do not run across the gap.
                let text = cut.trim_start_matches(' ');
                let inner = text.trim_end_matches(' ');
                line.blanks += cut.len() - text.len();
                line.push(&theme.paint(inner, role))?;
                line.blanks += text.len() - inner.len();
            }
            None => line.push(&cut)?,
        }
        line.blanks += after;
    }
    line.out.write_all(b"\n")
}

/// A row being written: blanks are held back until something follows
/// them, so that a line ends with no trailing blanks and is written
/// straight out, not gathered first.
struct Line<'o, W: Write + ?Sized> {
    out: &'o mut W,
    /// Spaces owed before the next text.
    blanks: usize,
}

impl<W: Write + ?Sized> Line<'_, W> {
    /// Writes `text`, after the spaces owed; its own trailing spaces are
    /// owed in turn.
    fn push(&mut self, text: &str) -> io::Result<()> {
        let body = text.trim_end_matches(' ');
        if !body.is_empty() {
            const SPACES: &[u8; 64] = &[b' '; 64];
            while self.blanks > 0 {
                let step = self.blanks.min(SPACES.len());
                self.out.write_all(&SPACES[..step])?;
                self.blanks -= step;
            }
            self.out.write_all(body.as_bytes())?;
        }
        self.blanks += text.len() - body.len();
        Ok(())
    }
}

/// A whole table: columns fitted to the rows' content within `width`, the
/// header (right-aligned over right-aligned cells), then the rows. Returns
/// the widths.
pub fn write_table(
    out: &mut dyn Write,
    columns: &[Column],
    rows: &[Vec<Cell<'_>>],
    width_limit: usize,
    theme: Theme,
) -> io::Result<Vec<usize>> {
    let mut content = vec![0usize; columns.len()];
    for row in rows {
        for (c, cell) in content.iter_mut().zip(row) {
            *c = (*c).max(width(&cell.text));
        }
    }
    let widths = fit(columns, &content, width_limit);
    let header: Vec<Cell<'_>> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| Cell {
            right: rows
                .first()
                .and_then(|r| r.get(i))
                .is_some_and(|cell| cell.right),
            ..Cell::styled(c.header, Role::Header)
        })
        .collect();
    write_row(out, &widths, &header, theme)?;
    for row in rows {
        write_row(out, &widths, row, theme)?;
    }
    Ok(widths)
}

/// Writes the header row in the header style.
pub fn write_header(
    out: &mut dyn Write,
    columns: &[Column],
    widths: &[usize],
    theme: Theme,
) -> io::Result<()> {
    let cells: Vec<Cell<'_>> = columns
        .iter()
        .map(|c| Cell::styled(c.header, Role::Header))
        .collect();
    write_row(out, widths, &cells, theme)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 3] = [
        Column::new("A", 3, 10),
        Column::new("STATE", 5, 100).elastic(),
        Column::new("ERR", 3, 20),
    ];

    #[test]
    fn hides_optional_columns_before_squeezing_the_rest() {
        let cols = [
            Column::new("A", 3, 10),
            Column::new("ID", 4, 10).optional(),
            Column::new("STATE", 10, 100).elastic(),
        ];
        assert_eq!(fit(&cols, &[8, 10, 60], 100), vec![8, 10, 60]);
        assert_eq!(fit(&cols, &[8, 10, 60], 34), vec![8, 10, 12]);
        assert_eq!(fit(&cols, &[8, 10, 60], 30), vec![8, 0, 20]);
        assert_eq!(fit(&cols, &[8, 10, 60], 22), vec![8, 0, 12]);
        let mut out = Vec::new();
        let cells = [Cell::plain("a"), Cell::plain("hidden"), Cell::plain("s")];
        write_row(&mut out, &[1, 0, 1], &cells, Theme::default()).unwrap();
        assert_eq!(out, b"a  s\n");
    }

    #[test]
    fn shrinks_elastic_columns_first() {
        assert_eq!(fit(&COLS, &[8, 60, 10], 200), vec![8, 60, 10]);
        assert_eq!(fit(&COLS, &[8, 60, 10], 40), vec![8, 18, 10]);
        assert_eq!(fit(&COLS, &[8, 60, 10], 20), vec![6, 5, 5]);
    }

    proptest::proptest! {
        /// No content makes a column wider than `widest` says.
        #[test]
        fn no_content_makes_a_column_wider_than_widest(
            shapes in proptest::collection::vec(
                (0usize..12, 0usize..40, proptest::bool::ANY, proptest::bool::ANY, 0usize..3, 0usize..60),
                1..7,
            ),
            total in 0usize..120,
        ) {
            let columns: Vec<Column> = shapes
                .iter()
                .map(|&(min, max, elastic, optional, header, _)| Column {
                    header: ["", "A", "STATE"][header],
                    min,
                    max,
                    elastic,
                    optional,
                })
                .collect();
            let content: Vec<usize> = shapes.iter().map(|s| s.5).collect();
            let widths = fit(&columns, &content, total);
            for (i, &w) in widths.iter().enumerate() {
                proptest::prop_assert!(w <= widest(&columns, i, total), "column {i}: {widths:?}");
            }
        }
    }

    #[test]
    fn widest_is_what_the_others_leave() {
        // Its maximum; what the others leave at their minimum, with two
        // gaps; its own minimum when even that is less.
        assert_eq!(widest(&COLS, 1, 120), 100);
        assert_eq!(widest(&COLS, 1, 40), 40 - 3 - 3 - 4);
        assert_eq!(widest(&COLS, 1, 4), 5);
        assert_eq!(fit(&COLS, &[3, 100, 3], 40), vec![3, 30, 3]);
    }

    /// A row as a whole line, padded, then stripped of trailing blanks:
    /// what [`write_row`] writes piece by piece.
    fn whole_line(widths: &[usize], cells: &[Cell<'_>], theme: Theme) -> String {
        let last_shown = widths.iter().rposition(|&w| w > 0).unwrap_or(0);
        let mut line = String::new();
        let shown = cells
            .iter()
            .zip(widths)
            .enumerate()
            .filter(|(_, (_, &w))| w > 0);
        for (n, (i, (cell, &w))) in shown.enumerate() {
            if n > 0 {
                line.push_str(GAP);
            }
            let (cut, cut_width) = truncate_measured(&cell.text, w, width(&cell.text));
            let room = " ".repeat(w.saturating_sub(cut_width));
            let (before, after) = match (cell.right, i == last_shown) {
                (true, _) => (room.as_str(), ""),
                (false, true) => ("", ""),
                (false, false) => ("", room.as_str()),
            };
            line.push_str(before);
            match cell.role {
                Some(role) => {
                    let text = cut.trim_start_matches(' ');
                    let inner = text.trim_end_matches(' ');
                    line.push_str(&cut[..cut.len() - text.len()]);
                    line.push_str(&theme.paint(inner, role));
                    line.push_str(&text[inner.len()..]);
                }
                None => line.push_str(&cut),
            }
            line.push_str(after);
        }
        format!("{}\n", line.trim_end_matches(' '))
    }

    proptest::proptest! {
        /// Blanks held back until text follows make the line that padding
        /// then trimming makes, whatever spaces the cells hold.
        #[test]
        fn rows_written_piece_by_piece_are_the_whole_lines(
            cells in proptest::collection::vec(
                ("[ ab]{0,6}", proptest::bool::ANY, proptest::bool::ANY, 0usize..8),
                1..6,
            ),
            color in proptest::bool::ANY,
        ) {
            let theme = Theme { color };
            let widths: Vec<usize> = cells.iter().map(|c| c.3).collect();
            let cells: Vec<Cell<'_>> = cells
                .iter()
                .map(|(text, right, role, _)| Cell {
                    text: Cow::Borrowed(text.as_str()),
                    role: role.then_some(Role::Error),
                    right: *right,
                })
                .collect();
            let mut out = Vec::new();
            write_row(&mut out, &widths, &cells, theme).unwrap();
            proptest::prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                whole_line(&widths, &cells, theme)
            );
        }
    }

    #[test]
    fn rows_are_cut_padded_and_have_no_trailing_blanks() {
        let mut out = Vec::new();
        let cells = [Cell::plain("abcdefgh"), Cell::plain("x"), Cell::plain("")];
        write_row(&mut out, &[4, 3, 3], &cells, Theme::default()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "abc…  x\n");
    }
}
