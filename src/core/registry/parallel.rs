//! Order-preserving parallel map for per-entry work on large registries.

use std::thread;

/// Below this many items the threads cost more than they save.
const MIN_PARALLEL: usize = 512;

/// `f(index, item)` for every item, in order, on up to four threads. With
/// mimalloc's per-thread heaps, building entries on two cores takes about
/// half the time of one.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if threads < 2 || items.len() < MIN_PARALLEL {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                scope.spawn(move || {
                    let first = c * chunk;
                    part.iter()
                        .enumerate()
                        .map(|(i, t)| f(first + i, t))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(join).collect()
    })
}

/// A worker's result; a panic in it is re-raised here rather than swallowed.
pub(crate) fn join<T>(handle: thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_indexes() {
        let items: Vec<usize> = (0..5000).collect();
        let out = par_map(&items, |i, &x| (i, x * 2));
        assert!(
            out.iter()
                .enumerate()
                .all(|(k, &(i, y))| k == i && y == 2 * k)
        );
    }
}
