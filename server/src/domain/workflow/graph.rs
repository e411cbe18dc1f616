//! A definition seen as a directed graph of states, for the two checks that concern the
//! workflow as a whole: every state can be reached from the initial state (no case is created
//! into a dead end), and a final state can be reached from every state (no case is stuck for
//! ever). `load.rs` turns a failure into an error pointing at the state.

use std::collections::{HashMap, HashSet, VecDeque};

use super::definition::{State, Transition};

/// The states by index, with their outgoing and incoming edges.
pub(super) struct Graph {
    forward: Vec<Vec<usize>>,
    backward: Vec<Vec<usize>>,
}

impl Graph {
    /// Edges naming undeclared states are skipped; loading has refused those already.
    pub(super) fn new(states: &[State], transitions: &[Transition]) -> Self {
        let index: HashMap<&str, usize> = states
            .iter()
            .enumerate()
            .map(|(i, state)| (state.name.as_str(), i))
            .collect();
        let mut forward: Vec<Vec<usize>> = vec![Vec::new(); states.len()];
        let mut backward: Vec<Vec<usize>> = vec![Vec::new(); states.len()];
        for transition in transitions {
            let Some(&to) = index.get(transition.to.as_str()) else {
                continue;
            };
            for from in &transition.from {
                if let Some(&from) = index.get(from.as_str()) {
                    forward[from].push(to);
                    backward[to].push(from);
                }
            }
        }
        Self { forward, backward }
    }

    /// The first state (by index) that cannot be reached from `start`.
    pub(super) fn first_unreachable_from(&self, start: usize) -> Option<usize> {
        let seen = reachable(&self.forward, vec![start]);
        (0..self.forward.len()).find(|i| !seen.contains(i))
    }

    /// The first state (by index) from which none of `targets` can be reached.
    pub(super) fn first_cut_off_from(&self, targets: Vec<usize>) -> Option<usize> {
        let seen = reachable(&self.backward, targets);
        (0..self.backward.len()).find(|i| !seen.contains(i))
    }
}

/// The nodes reachable from `starts` (included) along `edges`.
fn reachable(edges: &[Vec<usize>], starts: Vec<usize>) -> HashSet<usize> {
    let mut seen: HashSet<usize> = starts.iter().copied().collect();
    let mut queue: VecDeque<usize> = starts.into();
    while let Some(node) = queue.pop_front() {
        for &next in edges.get(node).into_iter().flatten() {
            if seen.insert(next) {
                queue.push_back(next);
            }
        }
    }
    seen
}
