//! Byte spans → line and column, computed only for the findings that need them.

use std::cell::OnceCell;
use std::ops::Range;

pub(super) struct Locator<'a> {
    text: &'a str,
    line_starts: OnceCell<Vec<usize>>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            text,
            line_starts: OnceCell::new(),
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
        (Some(line), Some(column))
    }
}
