//! Extraction: choosing one node per e-class so the program's DAG cost is low.
//!
//! Greedy bottom-up extraction (egg's `Extractor` with [`GraphCost`]) picks each class's best
//! node as if that class were the only thing computed, so it misses sharing between outputs:
//! `slice(f(x))` as one output and `f(x)` as another is cheapest with the slice on top (f is
//! computed once), while greedy pushes the slice down and computes f twice. A bounded local
//! search then tries, class by class, every alternative node and keeps a swap when the cost of
//! the whole program (each distinct class paid once) drops.
//!
//! Invariants: the selection never contains a cycle (a swap that would create one is rejected);
//! the search visits classes and nodes in a fixed order, so extraction is deterministic; its work
//! is bounded (`WORK` class visits, `MAX_COSTINGS` costings). E-graphs of more than
//! `DAG_EXTRACTION_MAX_CLASSES` classes use a linear tree-cost greedy extraction instead. Every class of an egg e-graph holds
//! a finite term (classes are only ever created by adding one), so the greedy choice exists.

use crate::analysis::{ArrayGraph, ArrayInfo};
use crate::cost::{GraphCost, TreeCost, own_cost};
use crate::lang::ArrayLang;
use egg::{Extractor, Id, Language, RecExpr};
use std::collections::{BTreeMap, HashMap};

/// Class visits the local search may spend in all (each costing visits every selected class).
const WORK: usize = 2_000_000;
/// At most this many costings, however small the program.
const MAX_COSTINGS: usize = 4_000;

/// The selected node for each class: local overrides over the greedy choice.
struct Selection<'a> {
    egraph: &'a ArrayGraph,
    greedy: Extractor<'a, GraphCost<'a>, ArrayLang, crate::ArrayAnalysis>,
    overrides: HashMap<Id, ArrayLang>,
}

impl Selection<'_> {
    fn pick(&self, class: Id) -> &ArrayLang {
        let class = self.egraph.find(class);
        self.overrides
            .get(&class)
            .unwrap_or_else(|| self.greedy.find_best_node(class))
    }

    fn own(&self, class: Id, node: &ArrayLang) -> f64 {
        let eg = self.egraph;
        let operands: Vec<&ArrayInfo> = node
            .operands()
            .iter()
            .filter_map(|&c| eg[c].data.array())
            .collect();
        own_cost(node, &eg[class].data, &operands)
    }

    /// The classes reachable from `root`, children before parents, or `None` on a cycle.
    fn order(&self, root: Id) -> Option<Vec<Id>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        let mut marks: HashMap<Id, Mark> = HashMap::new();
        let mut order = Vec::new();
        let mut stack: Vec<(Id, bool)> = vec![(self.egraph.find(root), false)];
        while let Some((class, expanded)) = stack.pop() {
            if expanded {
                marks.insert(class, Mark::Done);
                order.push(class);
                continue;
            }
            match marks.get(&class) {
                Some(Mark::Done) => continue,
                Some(Mark::Open) => return None,
                None => {}
            }
            marks.insert(class, Mark::Open);
            stack.push((class, true));
            for &child in self.pick(class).children() {
                let child = self.egraph.find(child);
                match marks.get(&child) {
                    Some(Mark::Done) => {}
                    Some(Mark::Open) => return None,
                    None => stack.push((child, false)),
                }
            }
        }
        Some(order)
    }

    fn cost(&self, root: Id) -> Option<f64> {
        let order = self.order(root)?;
        Some(order.iter().map(|&c| self.own(c, self.pick(c))).sum())
    }

    fn build(&self, root: Id) -> Option<RecExpr<ArrayLang>> {
        let order = self.order(root)?;
        let mut expr = RecExpr::default();
        let mut ids: HashMap<Id, Id> = HashMap::new();
        for class in order {
            let node = self
                .pick(class)
                .clone()
                .map_children(|c| ids[&self.egraph.find(c)]);
            ids.insert(class, expr.add(node));
        }
        Some(expr)
    }
}

/// Above this many e-classes the DAG-aware extraction (whose per-class sets are quadratic in the
/// graph's depth) gives way to a linear tree-cost greedy extraction with no local search.
pub const DAG_EXTRACTION_MAX_CLASSES: usize = 400;

/// The cheapest program the search finds in `root`'s class.
pub fn extract(egraph: &ArrayGraph, root: Id) -> Option<RecExpr<ArrayLang>> {
    if egraph.number_of_classes() > DAG_EXTRACTION_MAX_CLASSES {
        let (_, expr) = Extractor::new(egraph, TreeCost { egraph }).find_best(root);
        return Some(expr);
    }
    let mut sel = Selection {
        egraph,
        greedy: Extractor::new(egraph, GraphCost { egraph }),
        overrides: HashMap::new(),
    };
    let mut best = sel.cost(root)?;
    let size = sel.order(root)?.len().max(1);
    let mut budget = (WORK / size).min(MAX_COSTINGS);
    loop {
        let mut improved = false;
        let classes: BTreeMap<Id, ()> = sel.order(root)?.into_iter().map(|c| (c, ())).collect();
        for &class in classes.keys() {
            let current = sel.pick(class).clone();
            for node in &egraph[class].nodes {
                if *node == current || budget == 0 {
                    continue;
                }
                budget -= 1;
                let previous = sel.overrides.insert(class, node.clone());
                match sel.cost(root) {
                    Some(cost) if cost < best - 1e-9 => {
                        best = cost;
                        improved = true;
                        break;
                    }
                    _ => match previous {
                        Some(p) => {
                            sel.overrides.insert(class, p);
                        }
                        None => {
                            sel.overrides.remove(&class);
                        }
                    },
                }
            }
        }
        if !improved || budget == 0 {
            break;
        }
    }
    sel.build(root)
}
