//! One undo order across the two histories the app edits: the config
//! document's (`EditSession`) and the model registry's (`EditHistory`). Each
//! keeps its own steps; this only remembers which history the next Undo or
//! Redo belongs to, so Ctrl+Z undoes the last edit wherever it was made.

/// The history an undo step lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UndoTarget {
    Config,
    Registry,
}

/// How many steps each history can undo and redo now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Depths {
    pub config: (usize, usize),
    pub registry: (usize, usize),
}

impl Depths {
    fn of(&self, target: UndoTarget) -> (usize, usize) {
        match target {
            UndoTarget::Config => self.config,
            UndoTarget::Registry => self.registry,
        }
    }
}

#[derive(Debug, Default)]
pub struct UndoOrder {
    undo: Vec<UndoTarget>,
    redo: Vec<UndoTarget>,
}

const TARGETS: [UndoTarget; 2] = [UndoTarget::Config, UndoTarget::Registry];

impl UndoOrder {
    pub fn next_undo(&self) -> Option<UndoTarget> {
        self.undo.last().copied()
    }

    pub fn next_redo(&self) -> Option<UndoTarget> {
        self.redo.last().copied()
    }

    /// After anything but an Undo or Redo: steps a history gained are new
    /// edits, appended in order; steps a history no longer has (a new file,
    /// a reload, a redo list cleared by a new edit) are forgotten.
    pub fn observe(&mut self, before: Depths, after: Depths) {
        for target in TARGETS {
            let gained = after.of(target).0.saturating_sub(before.of(target).0);
            self.undo.extend(std::iter::repeat_n(target, gained));
        }
        self.trim(after);
    }

    /// After an Undo (`undo`) or Redo of `target` that took effect.
    pub fn moved(&mut self, target: UndoTarget, undo: bool, after: Depths) {
        let (from, to) = if undo {
            (&mut self.undo, &mut self.redo)
        } else {
            (&mut self.redo, &mut self.undo)
        };
        if let Some(i) = from.iter().rposition(|t| *t == target) {
            from.remove(i);
            to.push(target);
        }
        self.trim(after);
    }

    /// Keep no more entries per history than it has steps (the oldest go).
    fn trim(&mut self, now: Depths) {
        for target in TARGETS {
            let (undo, redo) = now.of(target);
            keep_newest(&mut self.undo, target, undo);
            keep_newest(&mut self.redo, target, redo);
        }
    }
}

fn keep_newest(list: &mut Vec<UndoTarget>, target: UndoTarget, keep: usize) {
    let mut extra = list
        .iter()
        .filter(|t| **t == target)
        .count()
        .saturating_sub(keep);
    list.retain(|t| {
        if extra > 0 && *t == target {
            extra -= 1;
            false
        } else {
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::UndoTarget::{Config, Registry};
    use super::*;

    fn depths(config: (usize, usize), registry: (usize, usize)) -> Depths {
        Depths { config, registry }
    }

    #[test]
    fn undo_follows_the_order_edits_were_made_in() {
        let mut o = UndoOrder::default();
        o.observe(depths((0, 0), (0, 0)), depths((1, 0), (0, 0)));
        o.observe(depths((1, 0), (0, 0)), depths((1, 0), (1, 0)));
        o.observe(depths((1, 0), (1, 0)), depths((2, 0), (1, 0)));
        assert_eq!(o.next_undo(), Some(Config));
        o.moved(Config, true, depths((1, 1), (1, 0)));
        assert_eq!(o.next_undo(), Some(Registry));
        o.moved(Registry, true, depths((1, 1), (0, 1)));
        assert_eq!(o.next_undo(), Some(Config));
        assert_eq!(o.next_redo(), Some(Registry));
        o.moved(Registry, false, depths((1, 1), (1, 0)));
        assert_eq!(o.next_redo(), Some(Config));
    }

    #[test]
    fn a_history_that_starts_over_is_forgotten() {
        let mut o = UndoOrder::default();
        o.observe(depths((0, 0), (0, 0)), depths((2, 0), (0, 0)));
        o.observe(depths((2, 0), (0, 0)), depths((2, 0), (1, 0)));
        // Another file opened: the config history is empty again.
        o.observe(depths((2, 0), (1, 0)), depths((0, 0), (1, 0)));
        assert_eq!(o.next_undo(), Some(Registry));
        o.moved(Registry, true, depths((0, 0), (0, 1)));
        assert_eq!(o.next_undo(), None);
        // A new registry edit clears its redo list.
        o.observe(depths((0, 0), (0, 1)), depths((0, 0), (1, 0)));
        assert_eq!(o.next_redo(), None);
        assert_eq!(o.next_undo(), Some(Registry));
    }
}
