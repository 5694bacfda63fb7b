//! The event log's part of a write: the next event into the batch, the
//! committed event to the tail and the group commit; and events read back.

use std::sync::Arc;

use fjall::Batch;

use super::FjallStore;
use crate::domain::{Event, EventKind, Invoice};
use crate::store::records::{self, EventRecord};
use crate::store::{keys, StoreError};

impl FjallStore {
    /// Adds the next event to `batch`; the caller holds the append lock
    /// (`last`) and commits with [`Self::commit_event`].
    pub(super) fn add_event(
        &self,
        batch: &mut Batch,
        last: &u64,
        kind: EventKind,
        at_ms: u64,
        invoice: &Invoice,
    ) -> Event {
        let event = Event {
            sequence: last + 1,
            kind,
            occurred_at_ms: at_ms,
            invoice: invoice.clone(),
        };
        batch.insert(
            &self.tree,
            keys::event(event.sequence),
            records::encode_event(&EventRecord::of(&event)),
        );
        batch.insert(
            &self.tree,
            keys::LAST_SEQUENCE,
            event.sequence.to_be_bytes(),
        );
        event
    }

    /// Applies a batch holding an event, then hands the event to the tail
    /// before the group commit learns of its sequence, so the flush that
    /// covers it finds it there.
    pub(super) fn commit_event(
        &self,
        batch: Batch,
        last: &mut u64,
        event: &Event,
    ) -> Result<(), StoreError> {
        self.wrote(batch.commit().map_err(StoreError::from))?;
        *last = event.sequence;
        self.commit.tail().committed(Arc::new(event.clone()));
        self.commit.committed(event.sequence);
        Ok(())
    }
}

impl crate::store::scan::OrderedKv for FjallStore {
    type Bytes = fjall::Slice;

    fn range(
        &self,
        lower: Vec<u8>,
        upper: Vec<u8>,
    ) -> crate::store::scan::KvIter<'_, fjall::Slice> {
        Box::new(
            self.tree
                .range(lower..upper)
                .map(|r| r.map_err(StoreError::from)),
        )
    }

    fn get_raw(&self, key: &[u8]) -> Result<Option<fjall::Slice>, StoreError> {
        self.get(key)
    }

    fn contains(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.tree.contains_key(key)?)
    }

    fn remove_stray(&self, key: &[u8]) -> Result<(), StoreError> {
        self.wrote(self.tree.remove(key).map_err(StoreError::from))
    }
}
