//! Byte spans → line and column, computed only for the findings that need them.

use std::cell::OnceCell;
use std::ops::Range;

pub(super) struct Locator<'a> {
    text: &'a str,
    line_starts: OnceCell<Vec<usize>>,
    /// For a text made of pieces of a file (a `Fragment`): (line of the text,
    /// line of the file) where each piece starts, so lines are the file's.
    line_map: &'a [(usize, usize)],
}

impl<'a> Locator<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self::with_line_map(text, &[])
    }

    pub(super) fn with_line_map(text: &'a str, line_map: &'a [(usize, usize)]) -> Self {
        Self {
            text,
            line_starts: OnceCell::new(),
            line_map,
        }
    }

    /// A line of the text as a line of the file.
    fn file_line(&self, line: usize) -> usize {
        let piece = self.line_map.partition_point(|(l, _)| *l <= line);
        match piece.checked_sub(1).and_then(|i| self.line_map.get(i)) {
            Some((text_line, file_line)) => file_line + (line - text_line),
            None => line,
        }
    }

    /// 1-based line and character column of the start of `span`.
    pub(super) fn at(&self, span: Option<Range<usize>>) -> (Option<usize>, Option<usize>) {
        let Some(span) = span else {
            return (None, None);
        };
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let offset = span.start.min(self.text.len());
        let line = starts.partition_point(|s| *s <= offset);
        let start = starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |head| head.chars().count() + 1);
        (Some(self.file_line(line)), Some(column))
    }
}
