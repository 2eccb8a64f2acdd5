//! `TwinDelay`: the Rust-side delay line (not hardware) used by the hand-written leaves' `update` twins.

use std::collections::VecDeque;

/// A delay line of `latency` clock edges: a value pushed at edge k comes out at edge
/// `k + latency - 1` (so with latency 1 a value is out right after the edge that samples it).
#[derive(Clone, Debug)]
pub(crate) struct TwinDelay<T: Clone + Default> {
    q: VecDeque<T>,
}

impl<T: Clone + Default> TwinDelay<T> {
    /// A delay line of `latency >= 1` edges, initially holding defaults.
    pub(crate) fn new(latency: usize) -> Self {
        assert!(latency >= 1, "TwinDelay: latency must be at least 1");
        Self {
            q: std::iter::repeat_with(T::default)
                .take(latency - 1)
                .collect(),
        }
    }
    /// One clock edge: `v` enters, the oldest value leaves and is returned.
    pub(crate) fn edge(&mut self, v: T) -> T {
        self.q.push_back(v);
        self.q.pop_front().expect("non-empty after push")
    }
    /// Clears the line to defaults (synchronous reset).
    pub(crate) fn clear(&mut self) {
        for x in self.q.iter_mut() {
            *x = T::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TwinDelay;

    #[test]
    fn latency_counts_edges() {
        let mut p = TwinDelay::<u32>::new(3);
        assert_eq!(p.edge(1), 0);
        assert_eq!(p.edge(2), 0);
        assert_eq!(p.edge(3), 1);
        p.clear();
        assert_eq!(p.edge(4), 0);
        let mut one = TwinDelay::<u32>::new(1);
        assert_eq!(one.edge(9), 9);
    }
}
