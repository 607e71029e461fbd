//! What each counted row added to the roll-up, kept by table and id so that
//! a change can take it back: [`Slots`], its dense part in shared blocks
//! copied on write ([`Dense`]), which is what lets a snapshot be copied
//! without copying the data.

use std::collections::HashMap;
use std::sync::Arc;

use super::facts::Add;

/// What a row added, kept so that it can be taken back when the row changes.
#[derive(Clone, Copy)]
pub(super) struct Kept {
    pub leaf: u32,
    pub add: Add,
}

/// No row: a free slot.
pub(super) const EMPTY: u32 = u32::MAX;
/// What each row of one table added, by id: ids are dense (INTEGER PRIMARY
/// KEY, identity), so a vector indexed by id holds three million rows in
/// 60 MB where a hash map needs three times that; an id far beyond the
/// others goes to the map.
#[derive(Clone, Default)]
pub(super) struct Slots {
    pub dense: Dense,
    pub sparse: HashMap<i64, Kept>,
}

/// Slots per block of [`Dense`]: 1,3 MB.
const BLOCK: usize = 1 << 16;

/// A vector of slots in shared blocks of [`BLOCK`], copied on write: a
/// snapshot's copy of the state ([`Rollup::save`](super::Rollup::save)) shares every block, and
/// a change applied while it is encoded copies only the block it touches.
/// Every block but the last is full.
#[derive(Clone, Default)]
pub(super) struct Dense {
    blocks: Vec<Arc<Vec<Kept>>>,
    len: usize,
}

impl Dense {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut Kept> {
        if i >= self.len {
            return None;
        }
        let block = self.blocks.get_mut(i / BLOCK)?;
        Arc::make_mut(block).get_mut(i % BLOCK)
    }

    pub fn push(&mut self, kept: Kept) {
        match self.blocks.last_mut() {
            Some(last) if last.len() < BLOCK => Arc::make_mut(last).push(kept),
            _ => {
                let mut block = Vec::with_capacity(BLOCK);
                block.push(kept);
                self.blocks.push(Arc::new(block));
            }
        }
        self.len += 1;
    }

    /// Grows to `len` slots, the new ones `fill`.
    pub fn resize(&mut self, len: usize, fill: Kept) {
        while self.len < len {
            self.push(fill);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Kept> {
        self.blocks.iter().flat_map(|b| b.iter())
    }
}

impl Slots {
    pub fn take(&mut self, id: i64) -> Option<Kept> {
        match usize::try_from(id).ok().and_then(|i| self.dense.get_mut(i)) {
            Some(slot) if slot.leaf != EMPTY => {
                let old = *slot;
                slot.leaf = EMPTY;
                Some(old)
            }
            Some(_) => None,
            None => self.sparse.remove(&id),
        }
    }

    pub fn put(&mut self, id: i64, kept: Kept) {
        let Ok(i) = usize::try_from(id) else {
            self.sparse.insert(id, kept);
            return;
        };
        if i >= self.dense.len() && i < 2 * self.dense.len() + 1_000_000 {
            let free = Kept {
                leaf: EMPTY,
                add: kept.add,
            };
            self.dense.resize(i + 1, free);
        }
        match self.dense.get_mut(i) {
            Some(slot) => *slot = kept,
            None => {
                self.sparse.insert(id, kept);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::facts::{self, Series};
    use super::*;

    #[test]
    fn a_copy_of_the_slots_keeps_its_values_while_the_original_changes() {
        let kept = |leaf: u32| Kept {
            leaf,
            add: facts::Add {
                series: Series::Monthly,
                i0: 0,
                i1: facts::NONE,
                a: 0,
                b: 0,
                v0: 1,
                v1: 0,
            },
        };
        let mut slots = Slots::default();
        for id in 0..(2 * BLOCK as i64 + 10) {
            slots.put(id, kept(id as u32));
        }
        // An id past the end grows the blocks, free slots in between.
        slots.put(3 * BLOCK as i64, kept(7));
        assert_eq!(slots.dense.len(), 3 * BLOCK + 1);
        assert_eq!(slots.dense.blocks.len(), 4);
        assert!(slots.dense.blocks[..3].iter().all(|b| b.len() == BLOCK));
        let copy = slots.clone();
        assert!(Arc::ptr_eq(&copy.dense.blocks[1], &slots.dense.blocks[1]));
        assert_eq!(
            slots.take(BLOCK as i64 + 5).map(|k| k.leaf),
            Some(BLOCK as u32 + 5)
        );
        slots.put(5, kept(99));
        // Only the two blocks written were copied; the copy reads as before.
        assert!(!Arc::ptr_eq(&copy.dense.blocks[0], &slots.dense.blocks[0]));
        assert!(!Arc::ptr_eq(&copy.dense.blocks[1], &slots.dense.blocks[1]));
        assert!(Arc::ptr_eq(&copy.dense.blocks[2], &slots.dense.blocks[2]));
        let leaf_of = |s: &Slots, i: usize| s.dense.iter().nth(i).map(|k| k.leaf);
        assert_eq!(leaf_of(&copy, 5), Some(5));
        assert_eq!(leaf_of(&copy, BLOCK + 5), Some(BLOCK as u32 + 5));
        assert_eq!(leaf_of(&slots, 5), Some(99));
        assert_eq!(leaf_of(&slots, BLOCK + 5), Some(EMPTY));
        assert_eq!(leaf_of(&slots, 2 * BLOCK + 10), Some(EMPTY));
        assert_eq!(leaf_of(&slots, 3 * BLOCK), Some(7));
        assert_eq!(copy.dense.iter().count(), 3 * BLOCK + 1);
    }
}
